import { beforeEach, describe, expect, it } from 'vitest';
import { inMemoryAccountStores, plainPasswords } from '../../test/support/in-memory-accounts.js';
import { API_KEY_TOUCH_INTERVAL_MS } from './api-key.js';
import { createAuthenticator, type Authenticator } from './authenticate.js';
import { createApiKey } from './manage-api-keys.js';

const PASSWORD = 'correct horse battery';

describe('authenticator', () => {
  let clock: number;
  let stores: ReturnType<typeof inMemoryAccountStores>;
  let passwords: ReturnType<typeof plainPasswords>;
  let auth: Authenticator;

  beforeEach(async () => {
    clock = Date.parse('2025-01-01T00:00:00Z');
    stores = inMemoryAccountStores(() => new Date(clock));
    passwords = plainPasswords();
    auth = createAuthenticator(stores, passwords, { cacheMs: 30_000, now: () => clock });
    await stores.accounts.create({ id: 'id-bob', username: 'bob', passwordHash: `plain:${PASSWORD}`, role: 'provisioner' });
  });

  const code = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
  const newKey = async (scopes = ['devices:read'], expiresAt?: string) =>
    (await createApiKey({ ...stores, now: () => new Date(clock) }, (await stores.accounts.getById('id-bob'))!, {
      name: 'k', scopes, ...(expiresAt !== undefined ? { expiresAt } : {}),
    }));

  describe('passwords', () => {
    it('accepts the right password and refuses a wrong one or an unknown user alike', async () => {
      expect((await auth.authenticate('bob', PASSWORD)).username).toBe('bob');
      expect(await code(auth.authenticate('bob', 'wrong password'))).toBe('unauthorized: wrong username or password');
      expect(await code(auth.authenticate('nobody', PASSWORD))).toBe('unauthorized: wrong username or password');
    });

    it('remembers a login for cacheMs; a disabled account ends at once with forget, else when the entry expires', async () => {
      await auth.authenticate('bob', PASSWORD);
      const verified = passwords.verifications;
      await stores.accounts.setDisabled('bob', true);
      expect(await code(auth.authenticate('bob', PASSWORD))).toBe('ok');
      expect(passwords.verifications).toBe(verified);
      clock += 30_000;
      expect(await code(auth.authenticate('bob', PASSWORD))).toMatch(/^unauthorized/);

      await stores.accounts.setDisabled('bob', false);
      await auth.authenticate('bob', PASSWORD);
      await stores.accounts.setDisabled('bob', true);
      auth.forget('id-bob');
      expect(await code(auth.authenticate('bob', PASSWORD))).toMatch(/^unauthorized/);
    });
  });

  describe('API keys', () => {
    it('authenticates a key as its account, with the key', async () => {
      const { key, id } = await newKey();
      const principal = await auth.authenticateApiKey(key);
      expect(principal.account.username).toBe('bob');
      expect(principal.apiKey?.id).toBe(id);
      expect(await code(auth.authenticateApiKey('dk_not-a-key-that-exists-anywhere'))).toBe('unauthorized: unknown API key');
    });

    it('stops a revoked key, an expired key, and a disabled account\'s key at once', async () => {
      const revoked = await newKey();
      const expiring = await newKey(['devices:read'], '2025-01-01T00:10:00Z');
      const other = await newKey();
      await auth.authenticateApiKey(revoked.key);
      await auth.authenticateApiKey(expiring.key);
      await auth.authenticateApiKey(other.key);

      await stores.apiKeys.revoke(revoked.id, new Date(clock));
      expect(await code(auth.authenticateApiKey(revoked.key))).toMatch(/^unauthorized: .*revoked/);
      clock += 10 * 60_000;
      expect(await code(auth.authenticateApiKey(expiring.key))).toMatch(/^unauthorized: .*expired/);
      expect(await code(auth.authenticateApiKey(other.key))).toBe('ok');
      await stores.accounts.setDisabled('bob', true);
      expect(await code(auth.authenticateApiKey(other.key))).toMatch(/^unauthorized: .*disabled/);
    });

    it('records the last use at most once a minute', async () => {
      const { key, id } = await newKey();
      for (let i = 0; i < 5; i++) await auth.authenticateApiKey(key);
      expect(stores.apiKeys.touches).toBe(1);
      expect(stores.apiKeys.rows.get(id)?.lastUsedAt?.getTime()).toBe(clock);
      clock += API_KEY_TOUCH_INTERVAL_MS - 1;
      await auth.authenticateApiKey(key);
      expect(stores.apiKeys.touches).toBe(1);
      clock += 1;
      await auth.authenticateApiKey(key);
      expect(stores.apiKeys.touches).toBe(2);
    });
  });
});
