/** Contract tests of PeerStore and AccountStore. */
import { describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../accounts/account.js';
import type { NewPeer } from '../../peers/peer.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import type { ContractContext } from './contract-context.js';
import { fixtures } from './fixtures.js';

const { sealed } = fixtures;

/** Registers the PeerStore and AccountStore tests. */
export function describePeerAndAccountContract(ctx: ContractContext): void {
  describe('peers', () => {
    const ns = (overrides: Partial<NewPeer> = {}): NewPeer => ({
      id: 'ns:000013',
      kind: 'ns',
      netId: '000013',
      nsId: null,
      asId: null,
      tokenHash: 'a'.repeat(64),
      certFingerprint: null,
      kekLabel: null,
      kek: null,
      ...overrides,
    });
    const as = (overrides: Partial<NewPeer> = {}): NewPeer => ({
      id: 'as:as.example.com',
      kind: 'as',
      netId: null,
      nsId: null,
      asId: 'as.example.com',
      tokenHash: null,
      certFingerprint: 'F'.repeat(64),
      kekLabel: 'as-kek',
      kek: sealed('old:kek'),
      ...overrides,
    });

    it('creates, gets, lists by id and removes peers', async () => {
      const a = await ctx.stores.peers.create(ns());
      const b = await ctx.stores.peers.create(as());
      expect(a).toMatchObject(ns());
      expect(a.createdAt).toBeInstanceOf(Date);
      expect(await ctx.stores.peers.get('ns:000013')).toEqual(a);
      expect(await ctx.stores.peers.list()).toEqual([b, a]);
      expect(await ctx.stores.peers.remove('ns:000013')).toBe(true);
      expect(await ctx.stores.peers.remove('ns:000013')).toBe(false);
      expect(await ctx.stores.peers.get('ns:000013')).toBeNull();
      expect(await ctx.stores.peers.list()).toEqual([b]);
    });

    it('finds peers by token hash and certificate fingerprint', async () => {
      const a = await ctx.stores.peers.create(ns());
      const b = await ctx.stores.peers.create(as());
      expect(await ctx.stores.peers.findByTokenHash('a'.repeat(64))).toEqual(a);
      expect(await ctx.stores.peers.findByCertFingerprint('F'.repeat(64))).toEqual(b);
      expect(await ctx.stores.peers.findByTokenHash('b'.repeat(64))).toBeNull();
      expect(await ctx.stores.peers.findByCertFingerprint('E'.repeat(64))).toBeNull();
    });

    it('refuses a taken id, token hash or fingerprint, but allows many peers without them', async () => {
      await ctx.stores.peers.create(ns());
      await ctx.stores.peers.create(as());
      for (const duplicate of [
        ns({ tokenHash: 'c'.repeat(64) }),
        ns({ id: 'ns:000014', netId: '000014' }),
        as({ id: 'as:other', asId: 'other' }),
      ]) {
        await expect(ctx.stores.peers.create(duplicate)).rejects.toBeInstanceOf(AlreadyExistsError);
      }
      await ctx.stores.peers.create(ns({ id: 'ns:000015', netId: '000015', tokenHash: null }));
      await ctx.stores.peers.create(ns({ id: 'ns:000016', netId: '000016', tokenHash: null }));
      await ctx.stores.peers.create(as({ id: 'as:x', asId: 'x', certFingerprint: null }));
      await ctx.stores.peers.create(as({ id: 'as:y', asId: 'y', certFingerprint: null }));
      expect(await ctx.stores.peers.list()).toHaveLength(6);
    });
  });

  describe('accounts', () => {
    const account = (username: string, overrides: Partial<AccountRecord> = {}) => ({
      id: `id-${username}`,
      username,
      passwordHash: `$scrypt$${username}`,
      role: 'owner' as const,
      ...overrides,
    });

    it('creates, finds, lists by username and counts accounts', async () => {
      const zed = await ctx.stores.accounts.create(account('zed', { role: 'admin' }));
      const amy = await ctx.stores.accounts.create({ ...account('amy', { role: 'provisioner' }), disabled: true });
      expect(zed).toMatchObject({ ...account('zed', { role: 'admin' }), disabled: false });
      expect(amy.disabled).toBe(true);
      expect(await ctx.stores.accounts.getByUsername('zed')).toEqual(zed);
      expect(await ctx.stores.accounts.getByUsername('nobody')).toBeNull();
      expect(await ctx.stores.accounts.getById('id-amy')).toEqual(amy);
      expect(await ctx.stores.accounts.getById('id-nobody')).toBeNull();
      expect(await ctx.stores.accounts.list()).toEqual([amy, zed]);
      expect(await ctx.stores.accounts.count()).toBe(2);
    });

    it('refuses a taken username', async () => {
      await ctx.stores.accounts.create(account('amy'));
      await expect(ctx.stores.accounts.create({ ...account('amy'), id: 'another-id' })).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(await ctx.stores.accounts.count()).toBe(1);
    });

    it('disables and enables accounts', async () => {
      await ctx.stores.accounts.create(account('amy'));
      expect(await ctx.stores.accounts.setDisabled('amy', true)).toBe(true);
      expect((await ctx.stores.accounts.getByUsername('amy'))?.disabled).toBe(true);
      expect(await ctx.stores.accounts.setDisabled('amy', false)).toBe(true);
      expect((await ctx.stores.accounts.getByUsername('amy'))?.disabled).toBe(false);
      expect(await ctx.stores.accounts.setDisabled('nobody', true)).toBe(false);
    });

    it('replaces a password hash', async () => {
      const before = await ctx.stores.accounts.create(account('amy'));
      await ctx.stores.accounts.create(account('zed'));
      expect(await ctx.stores.accounts.setPasswordHash('id-amy', '$scrypt$new')).toBe(true);
      expect(await ctx.stores.accounts.getById('id-amy')).toEqual({ ...before, passwordHash: '$scrypt$new' });
      expect((await ctx.stores.accounts.getByUsername('zed'))?.passwordHash).toBe('$scrypt$zed');
      expect(await ctx.stores.accounts.setPasswordHash('id-nobody', '$scrypt$new')).toBe(false);
    });
  });

}
