/** Contract tests of ApplicationStore. */
import { describe, expect, it } from 'vitest';
import type { NewApplication } from '../../applications/application.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import type { ContractContext } from './contract-context.js';

/** An application of `ownerId` with every activation default set. */
export function newApplication(id: string, ownerId: string, overrides: Partial<NewApplication> = {}): NewApplication {
  return {
    id,
    ownerId,
    name: `Application ${id}`,
    homeNetId: '000013',
    homeNsId: '70B3D57ED0000013',
    asId: 'as.example.com',
    asKekLabel: 'as-kek',
    ...overrides,
  };
}

/** Registers the ApplicationStore tests. */
export function describeApplicationContract(ctx: ContractContext): void {
  describe('applications', () => {
    const owner = (id: string) => ctx.stores.accounts.create({ id, username: `user-${id}`, passwordHash: 'h', role: 'owner' });

    it('creates an application with all its settings, and gets it back', async () => {
      await owner('id-olga');
      const input = newApplication('greenhouse', 'id-olga');
      const created = await ctx.stores.applications.create(input);
      expect(created).toEqual({ ...input, createdAt: expect.any(Date) });
      expect(await ctx.stores.applications.get('greenhouse')).toEqual(created);
    });

    it('keeps optional settings null', async () => {
      await owner('id-olga');
      const bare = newApplication('bare', 'id-olga', { name: null, homeNetId: null, homeNsId: null, asId: null, asKekLabel: null });
      expect(await ctx.stores.applications.create(bare)).toMatchObject(bare);
      expect(await ctx.stores.applications.get('bare')).toMatchObject(bare);
    });

    it('returns null for an unknown id', async () => {
      expect(await ctx.stores.applications.get('nope')).toBeNull();
    });

    it('lists the applications of one owner, ordered by id', async () => {
      await owner('id-olga');
      await owner('id-oscar');
      for (const id of ['orchard', 'barn', 'field']) await ctx.stores.applications.create(newApplication(id, 'id-olga'));
      await ctx.stores.applications.create(newApplication('garage', 'id-oscar'));
      expect((await ctx.stores.applications.listByOwner('id-olga')).map((a) => a.id)).toEqual(['barn', 'field', 'orchard']);
      expect((await ctx.stores.applications.listByOwner('id-oscar')).map((a) => a.id)).toEqual(['garage']);
      expect(await ctx.stores.applications.listByOwner('id-nobody')).toEqual([]);
    });

    it('refuses a taken id with AlreadyExistsError, whoever asks, and keeps the first', async () => {
      await owner('id-olga');
      await owner('id-oscar');
      const first = await ctx.stores.applications.create(newApplication('greenhouse', 'id-olga'));
      const error = await ctx.stores.applications.create(newApplication('greenhouse', 'id-oscar', { name: 'Mine' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect(error).toMatchObject({ code: 'already_exists' });
      expect(await ctx.stores.applications.get('greenhouse')).toEqual(first);
      expect(await ctx.stores.applications.listByOwner('id-oscar')).toEqual([]);
    });

    it('refuses an application of an account that does not exist', async () => {
      await expect(ctx.stores.applications.create(newApplication('orphan', 'id-nobody'))).rejects.toThrow();
      expect(await ctx.stores.applications.get('orphan')).toBeNull();
    });
  });
}
