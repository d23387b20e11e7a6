import { beforeEach, describe, expect, it } from 'vitest';
import { inMemoryAccountStores } from '../../test/support/in-memory-accounts.js';
import { hashToken } from '../keyvault/secret-token.js';
import type { AccountRecord } from './account.js';
import { createApiKey, listApiKeys, looksLikeApiKey, revokeApiKey, type ApiKeyAdminDeps } from './manage-api-keys.js';
import { ROLE_SCOPES, SCOPES } from './scopes.js';

describe('API key management', () => {
  let clock: Date;
  let deps: ApiKeyAdminDeps;
  let stores: ReturnType<typeof inMemoryAccountStores>;
  let admin: AccountRecord;
  let maker: AccountRecord;
  let owner: AccountRecord;

  beforeEach(async () => {
    clock = new Date('2025-01-01T00:00:00Z');
    stores = inMemoryAccountStores(() => clock);
    deps = { apiKeys: stores.apiKeys, accounts: stores.accounts, now: () => clock };
    admin = await stores.accounts.create({ id: 'a', username: 'admin', passwordHash: 'x', role: 'admin' });
    maker = await stores.accounts.create({ id: 'p', username: 'maker', passwordHash: 'x', role: 'provisioner' });
    owner = await stores.accounts.create({ id: 'o', username: 'owner', passwordHash: 'x', role: 'owner' });
  });

  const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as { code: string; message: string });

  describe('createApiKey', () => {
    it('returns a dk_ key once and stores only its SHA-256', async () => {
      const created = await createApiKey(deps, maker, { name: ' printer ', scopes: ['devices:write', 'devices:read', 'devices:read'] });
      expect(created.key).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
      expect(looksLikeApiKey(created.key)).toBe(true);
      expect(created).toMatchObject({ name: 'printer', scopes: ['devices:read', 'devices:write'], status: 'active', expiresAt: null, revokedAt: null, lastUsedAt: null });
      expect(created).not.toHaveProperty('keyHash');
      const stored = stores.apiKeys.rows.get(created.id);
      expect(stored?.keyHash).toBe(hashToken(created.key));
      expect(JSON.stringify(stored)).not.toContain(created.key);
      expect(await listApiKeys(deps, maker)).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    });

    it('never exceeds the account\'s role: a provisioner key cannot carry accounts:admin', async () => {
      const refused = await error(createApiKey(deps, maker, { name: 'x', scopes: ['devices:read', 'accounts:admin'] }));
      expect(refused).toMatchObject({ code: 'forbidden' });
      expect(refused?.message).toContain('accounts:admin');
      expect(refused?.message).toContain('provisioner');
      expect(await error(createApiKey(deps, owner, { name: 'x', scopes: ['devices:export-keys'] }))).toMatchObject({ code: 'forbidden' });
      expect(await error(createApiKey(deps, maker, { name: 'x', scopes: ['claims:write'] }))).toMatchObject({ code: 'forbidden' });
      expect(stores.apiKeys.rows.size).toBe(0);
      for (const [account, scopes] of [[admin, SCOPES], [maker, ROLE_SCOPES.provisioner], [owner, ROLE_SCOPES.owner]] as const) {
        expect((await createApiKey(deps, account, { name: 'all', scopes: [...scopes] })).scopes).toEqual([...scopes]);
      }
    });

    it('refuses unknown or no scopes, a bad name, and an expiry in the past', async () => {
      expect(await error(createApiKey(deps, admin, { name: 'x', scopes: ['devices:delete'] }))).toMatchObject({ code: 'invalid_input', details: { field: 'scopes' } });
      expect(await error(createApiKey(deps, admin, { name: 'x', scopes: [] }))).toMatchObject({ code: 'invalid_input', details: { field: 'scopes' } });
      expect(await error(createApiKey(deps, admin, { name: 'x', scopes: 'devices:read' }))).toMatchObject({ code: 'invalid_input' });
      expect(await error(createApiKey(deps, admin, { name: '', scopes: ['devices:read'] }))).toMatchObject({ details: { field: 'name' } });
      expect(await error(createApiKey(deps, admin, { name: 'a\nb', scopes: ['devices:read'] }))).toMatchObject({ details: { field: 'name' } });
      expect(await error(createApiKey(deps, admin, { name: 'x', scopes: ['devices:read'], expiresAt: '2024-12-31T00:00:00Z' })))
        .toMatchObject({ details: { field: 'expiresAt' } });
      expect(await error(createApiKey(deps, admin, { name: 'x', scopes: ['devices:read'], expiresAt: 'tomorrow' })))
        .toMatchObject({ details: { field: 'expiresAt' } });
    });

    it('takes an expiry, and reports the key expired once it passed', async () => {
      const created = await createApiKey(deps, admin, { name: 'x', scopes: ['devices:read'], expiresAt: '2025-01-02T00:00:00Z' });
      expect(created.expiresAt).toBe('2025-01-02T00:00:00.000Z');
      clock = new Date('2025-01-02T00:00:00Z');
      expect((await listApiKeys(deps, admin))[0]?.status).toBe('expired');
    });
  });

  describe('listApiKeys', () => {
    it('lists the own keys; an admin may list anyone\'s, others may not', async () => {
      await createApiKey(deps, maker, { name: 'one', scopes: ['devices:read'] });
      await createApiKey(deps, owner, { name: 'two', scopes: ['devices:read'] });
      expect((await listApiKeys(deps, maker)).map((k) => k.name)).toEqual(['one']);
      expect((await listApiKeys(deps, maker, { username: 'maker' })).map((k) => k.name)).toEqual(['one']);
      expect((await listApiKeys(deps, admin, { username: 'owner' })).map((k) => k.name)).toEqual(['two']);
      expect(await listApiKeys(deps, admin)).toEqual([]);
      expect(await error(listApiKeys(deps, maker, { username: 'owner' }))).toMatchObject({ code: 'forbidden' });
      expect(await error(listApiKeys(deps, admin, { username: 'nobody' }))).toMatchObject({ code: 'not_found' });
    });
  });

  describe('revokeApiKey', () => {
    it('revokes an own key at once; again changes nothing', async () => {
      const created = await createApiKey(deps, maker, { name: 'one', scopes: ['devices:read'] });
      const revoked = await revokeApiKey(deps, maker, created.id);
      expect(revoked).toMatchObject({ id: created.id, status: 'revoked', revokedAt: clock.toISOString() });
      clock = new Date('2025-01-01T01:00:00Z');
      expect((await revokeApiKey(deps, maker, created.id)).revokedAt).toBe('2025-01-01T00:00:00.000Z');
    });

    it('treats another account\'s key as not found, unless an admin names the account', async () => {
      const created = await createApiKey(deps, owner, { name: 'one', scopes: ['devices:read'] });
      expect(await error(revokeApiKey(deps, maker, created.id))).toMatchObject({ code: 'not_found' });
      expect(await error(revokeApiKey(deps, admin, created.id))).toMatchObject({ code: 'not_found' });
      expect(await error(revokeApiKey(deps, admin, created.id, { username: 'maker' }))).toMatchObject({ code: 'not_found' });
      expect(await error(revokeApiKey(deps, maker, created.id, { username: 'owner' }))).toMatchObject({ code: 'forbidden' });
      expect(stores.apiKeys.rows.get(created.id)?.revokedAt).toBeNull();
      expect(await revokeApiKey(deps, admin, created.id, { username: 'owner' })).toMatchObject({ status: 'revoked' });
      expect(await error(revokeApiKey(deps, owner, 'no-such-id'))).toMatchObject({ code: 'not_found' });
    });
  });
});
