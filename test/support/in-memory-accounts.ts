import type { AccountRecord, AccountStore, NewAccount } from '../../src/accounts/account.js';
import { API_KEY_TOUCH_INTERVAL_MS, type ApiKeyRecord, type ApiKeyStore, type NewApiKey } from '../../src/accounts/api-key.js';
import type { PasswordVerifier } from '../../src/accounts/authenticate.js';
import { AlreadyExistsError } from '../../src/shared/deed-error.js';

/**
 * In-memory AccountStore and ApiKeyStore with the storage contract's behaviour, for unit tests
 * of the account use cases (the real stores are covered by src/storage/contract).
 */
export function inMemoryAccountStores(now: () => Date = () => new Date()): {
  accounts: AccountStore & { readonly rows: Map<string, AccountRecord> };
  apiKeys: ApiKeyStore & { readonly rows: Map<string, ApiKeyRecord>; touches: number };
} {
  const accountRows = new Map<string, AccountRecord>();
  const keyRows = new Map<string, ApiKeyRecord>();
  const byUsername = (username: string) => [...accountRows.values()].find((a) => a.username === username) ?? null;

  const accounts = {
    rows: accountRows,
    async create(account: NewAccount): Promise<AccountRecord> {
      if (accountRows.has(account.id) || byUsername(account.username) !== null) throw new AlreadyExistsError('account');
      const record: AccountRecord = { ...account, disabled: account.disabled ?? false, createdAt: now() };
      accountRows.set(record.id, record);
      return record;
    },
    getByUsername: async (username: string) => byUsername(username),
    getById: async (id: string) => accountRows.get(id) ?? null,
    list: async () => [...accountRows.values()].sort((a, b) => (a.username < b.username ? -1 : 1)),
    count: async () => accountRows.size,
    async setDisabled(username: string, disabled: boolean) {
      const account = byUsername(username);
      if (account === null) return false;
      accountRows.set(account.id, { ...account, disabled });
      return true;
    },
    async setPasswordHash(id: string, passwordHash: string) {
      const account = accountRows.get(id);
      if (account === undefined) return false;
      accountRows.set(id, { ...account, passwordHash });
      return true;
    },
  };

  const apiKeys = {
    rows: keyRows,
    touches: 0,
    async create(key: NewApiKey): Promise<ApiKeyRecord> {
      if (keyRows.has(key.id) || [...keyRows.values()].some((k) => k.keyHash === key.keyHash)) throw new AlreadyExistsError('API key');
      if (!accountRows.has(key.accountId)) throw new Error('foreign key violation');
      const record: ApiKeyRecord = { ...key, scopes: [...key.scopes], createdAt: now(), lastUsedAt: null, revokedAt: null };
      keyRows.set(record.id, record);
      return record;
    },
    get: async (id: string) => keyRows.get(id) ?? null,
    findByHash: async (keyHash: string) => [...keyRows.values()].find((k) => k.keyHash === keyHash) ?? null,
    listForAccount: async (accountId: string) => [...keyRows.values()].filter((k) => k.accountId === accountId),
    async revoke(id: string, at: Date) {
      const key = keyRows.get(id);
      if (key === undefined || key.revokedAt !== null) return false;
      keyRows.set(id, { ...key, revokedAt: at });
      return true;
    },
    async touch(id: string, at: Date) {
      const key = keyRows.get(id);
      if (key === undefined) return false;
      if (key.lastUsedAt !== null && at.getTime() - key.lastUsedAt.getTime() < API_KEY_TOUCH_INTERVAL_MS) return false;
      keyRows.set(id, { ...key, lastUsedAt: at });
      apiKeys.touches += 1;
      return true;
    },
  };
  return { accounts, apiKeys };
}

/** A fast stand-in for scrypt: `plain:<password>`. Counts verifications. */
export function plainPasswords(): PasswordVerifier & { verifications: number } {
  const passwords = {
    verifications: 0,
    hash: async (password: string) => `plain:${password}`,
    async verify(password: string, stored: string) {
      passwords.verifications += 1;
      return stored === `plain:${password}`;
    },
  };
  return passwords;
}
