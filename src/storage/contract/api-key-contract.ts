/** Contract tests of ApiKeyStore (and the AccountStore methods API keys rely on). */
import { describe, expect, it } from 'vitest';
import type { NewApiKey } from '../../accounts/api-key.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import type { ContractContext } from './contract-context.js';
import { at } from './fixtures.js';

/** Registers the ApiKeyStore tests. */
export function describeApiKeyContract(ctx: ContractContext): void {
  describe('api keys', () => {
    const key = (id: string, overrides: Partial<NewApiKey> = {}): NewApiKey => ({
      id,
      accountId: 'id-amy',
      name: `key ${id}`,
      keyHash: `${id}`.padEnd(64, '0'),
      scopes: ['devices:read', 'devices:write'],
      expiresAt: null,
      ...overrides,
    });
    const amy = () => ctx.stores.accounts.create({ id: 'id-amy', username: 'amy', passwordHash: 'h', role: 'provisioner' });
    const bob = () => ctx.stores.accounts.create({ id: 'id-bob', username: 'bob', passwordHash: 'h', role: 'owner' });

    it('creates keys and finds them by id and by hash, with scopes and expiry as given', async () => {
      await amy();
      const created = await ctx.stores.apiKeys.create(key('k1', { expiresAt: at(30) }));
      expect(created).toMatchObject({ ...key('k1'), expiresAt: at(30), lastUsedAt: null, revokedAt: null });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await ctx.stores.apiKeys.get('k1')).toEqual(created);
      expect(await ctx.stores.apiKeys.findByHash(key('k1').keyHash)).toEqual(created);
      expect(await ctx.stores.apiKeys.get('nope')).toBeNull();
      expect(await ctx.stores.apiKeys.findByHash('f'.repeat(64))).toBeNull();
    });

    it('refuses a taken id or key hash', async () => {
      await amy();
      await ctx.stores.apiKeys.create(key('k1'));
      await expect(ctx.stores.apiKeys.create(key('k1', { keyHash: 'e'.repeat(64) }))).rejects.toBeInstanceOf(AlreadyExistsError);
      const duplicateHash = await ctx.stores.apiKeys.create(key('k2', { keyHash: key('k1').keyHash })).catch((e: unknown) => e);
      expect(duplicateHash).toBeInstanceOf(AlreadyExistsError);
      expect((duplicateHash as AlreadyExistsError).details?.['field']).toBe('keyHash');
      expect(await ctx.stores.apiKeys.listForAccount('id-amy')).toHaveLength(1);
    });

    it('refuses a key of an account that does not exist', async () => {
      await expect(ctx.stores.apiKeys.create(key('k1', { accountId: 'id-nobody' }))).rejects.toThrow();
      expect(await ctx.stores.apiKeys.get('k1')).toBeNull();
    });

    it('lists the keys of one account, oldest first, revoked ones included', async () => {
      await amy();
      await bob();
      const k1 = await ctx.stores.apiKeys.create(key('k1'));
      const k2 = await ctx.stores.apiKeys.create(key('k2', { scopes: ['devices:read'] }));
      await ctx.stores.apiKeys.create(key('k3', { accountId: 'id-bob' }));
      await ctx.stores.apiKeys.revoke('k1', at(5));
      expect(await ctx.stores.apiKeys.listForAccount('id-amy')).toEqual([{ ...k1, revokedAt: at(5) }, k2]);
      expect((await ctx.stores.apiKeys.listForAccount('id-bob')).map((k) => k.id)).toEqual(['k3']);
      expect(await ctx.stores.apiKeys.listForAccount('id-nobody')).toEqual([]);
    });

    it('revokes a key once', async () => {
      await amy();
      await ctx.stores.apiKeys.create(key('k1'));
      expect(await ctx.stores.apiKeys.revoke('k1', at(10))).toBe(true);
      expect(await ctx.stores.apiKeys.revoke('k1', at(20))).toBe(false);
      expect((await ctx.stores.apiKeys.get('k1'))?.revokedAt).toEqual(at(10));
      expect((await ctx.stores.apiKeys.findByHash(key('k1').keyHash))?.revokedAt).toEqual(at(10));
      expect(await ctx.stores.apiKeys.revoke('nope', at(10))).toBe(false);
    });

    it('records the last use at most once a minute', async () => {
      await amy();
      await ctx.stores.apiKeys.create(key('k1'));
      expect(await ctx.stores.apiKeys.touch('k1', at(0))).toBe(true);
      expect((await ctx.stores.apiKeys.get('k1'))?.lastUsedAt).toEqual(at(0));
      expect(await ctx.stores.apiKeys.touch('k1', at(59))).toBe(false);
      expect((await ctx.stores.apiKeys.get('k1'))?.lastUsedAt).toEqual(at(0));
      expect(await ctx.stores.apiKeys.touch('k1', at(60))).toBe(true);
      expect((await ctx.stores.apiKeys.get('k1'))?.lastUsedAt).toEqual(at(60));
      expect(await ctx.stores.apiKeys.touch('nope', at(60))).toBe(false);
    });

    it('lets one of many simultaneous touches write', async () => {
      await amy();
      await ctx.stores.apiKeys.create(key('k1'));
      const results = await Promise.all(Array.from({ length: 10 }, () => ctx.stores.apiKeys.touch('k1', at(1))));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
