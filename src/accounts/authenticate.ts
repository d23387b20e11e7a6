import { createHash, randomBytes } from 'node:crypto';
import { hashToken } from '../keyvault/secret-token.js';
import { UnauthorizedError } from '../shared/errors.js';
import type { AccountRecord, AccountStore } from './account.js';
import { API_KEY_TOUCH_INTERVAL_MS, type ApiKeyRecord, type ApiKeyStore } from './api-key.js';

/** Password hashing, injected (scrypt in keyvault/password-hash.ts). */
export interface PasswordVerifier {
  verify(password: string, stored: string): Promise<boolean>;
  hash(password: string): Promise<string>;
}

/** Who a request acts as: an account, and the API key it used (null for a password login). */
export interface Principal {
  readonly account: AccountRecord;
  readonly apiKey: ApiKeyRecord | null;
}

export interface Authenticator {
  /** Verifies a username and password; UnauthorizedError when wrong or disabled. */
  authenticate(username: string, password: string): Promise<AccountRecord>;
  /**
   * Verifies an API key (`dk_…`): known, not revoked, not expired, its account not disabled.
   * Checked against storage on every call, so revoking a key or disabling its account ends it
   * at once. UnauthorizedError otherwise.
   */
  authenticateApiKey(key: string): Promise<Principal>;
  /** Drops this instance's cached password logins of an account (disabled, or its password changed). */
  forget(accountId: string): void;
}

/** The stores the authenticator reads. */
export interface AuthenticatorStores {
  readonly accounts: AccountStore;
  readonly apiKeys: ApiKeyStore;
}

/**
 * Checks credentials against the account store. A memory-hard hash costs tens of milliseconds,
 * so a successful password check is remembered for a short while (keyed by a hash of the
 * credentials, never the password itself): a disabled account stops working within `cacheMs`
 * (30 s by default) on other instances, at once on the instance that disabled it (`forget`).
 * API keys are a SHA-256 lookup, not cached: they stop working at once.
 */
export function createAuthenticator(
  stores: AuthenticatorStores, passwords: PasswordVerifier, options: { cacheMs?: number; now?: () => number } = {},
): Authenticator {
  const { accounts, apiKeys } = stores;
  const cacheMs = options.cacheMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { account: AccountRecord; expires: number }>();
  // A hash of a password nobody knows, checked when the account is unknown so that timing does
  // not tell which usernames exist.
  let dummyHash: Promise<string> | undefined;

  return {
    async authenticate(username, password) {
      const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
      const hit = cache.get(key);
      if (hit !== undefined && hit.expires > now()) return hit.account;
      cache.delete(key);
      const account = await accounts.getByUsername(username);
      dummyHash ??= passwords.hash(randomBytes(16).toString('hex'));
      const ok = await passwords.verify(password, account?.passwordHash ?? (await dummyHash));
      if (account === null || !ok || account.disabled) throw new UnauthorizedError('wrong username or password');
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { account, expires: now() + cacheMs });
      return account;
    },

    async authenticateApiKey(key) {
      const apiKey = await apiKeys.findByHash(hashToken(key));
      if (apiKey === null) throw new UnauthorizedError('unknown API key');
      const at = now();
      if (apiKey.revokedAt !== null) throw new UnauthorizedError('this API key was revoked');
      if (apiKey.expiresAt !== null && apiKey.expiresAt.getTime() <= at) throw new UnauthorizedError('this API key has expired');
      const account = await accounts.getById(apiKey.accountId);
      if (account === null || account.disabled) throw new UnauthorizedError('the account of this API key is disabled');
      if (apiKey.lastUsedAt === null || at - apiKey.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS) {
        await apiKeys.touch(apiKey.id, new Date(at));
      }
      return { account, apiKey };
    },

    forget(accountId) {
      for (const [key, entry] of cache) {
        if (entry.account.id === accountId) cache.delete(key);
      }
    },
  };
}
