import { beforeEach, describe, expect, it, vi } from 'vitest';
import { inMemoryAccountStores, plainPasswords } from '../../test/support/in-memory-accounts.js';
import { inMemoryAuditLog } from '../../test/support/in-memory-audit.js';
import type { AccountRecord } from './account.js';
import {
  addAccount, changePassword, disableAccount, enableAccount, listAccounts, parseUsername, type AccountAdminDeps,
} from './manage-accounts.js';

const PASSWORD = 'correct horse battery';

describe('account management', () => {
  let deps: AccountAdminDeps & { credentialCache: { forget: ReturnType<typeof vi.fn> }; audit: ReturnType<typeof inMemoryAuditLog> };
  let stores: ReturnType<typeof inMemoryAccountStores>;
  let admin: AccountRecord;
  let ids = 0;

  beforeEach(async () => {
    stores = inMemoryAccountStores();
    deps = {
      accounts: stores.accounts, passwords: plainPasswords(), audit: inMemoryAuditLog(), credentialCache: { forget: vi.fn() }, newId: () => `id-${++ids}`,
    };
    admin = await stores.accounts.create({ id: 'id-admin', username: 'admin', passwordHash: `plain:${PASSWORD}`, role: 'admin' });
  });

  const code = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: { code?: string }) => e.code);

  describe('addAccount', () => {
    it('creates an account with a hashed password, lower-cased name, and shows no hash', async () => {
      const view = await addAccount(deps, admin, { username: 'Acme-Factory', password: PASSWORD, role: 'provisioner' });
      expect(view).toEqual({ id: expect.any(String), username: 'acme-factory', role: 'provisioner', disabled: false, createdAt: expect.any(String) });
      expect(JSON.stringify(view)).not.toContain(PASSWORD);
      expect(view).not.toHaveProperty('passwordHash');
      expect((await stores.accounts.getByUsername('acme-factory'))?.passwordHash).toBe(`plain:${PASSWORD}`);
    });

    it.each([
      ['ab', 'too short'], ['a'.repeat(65), 'too long'], ['.hidden', 'starts with a dot'], ['-dash', 'starts with a dash'],
      ['with space', 'a space'], ['ümlaut', 'a non-ASCII letter'], ['a/b', 'a slash'], [42, 'not a string'],
    ] as [unknown, string][])('refuses the username %j (%s), naming the field', async (username) => {
      const error = await addAccount(deps, admin, { username, password: PASSWORD, role: 'owner' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_input', details: { field: 'username' } });
    });

    it('accepts 3 to 64 characters of letters, digits, ".", "_" and "-"', () => {
      expect(parseUsername('a.b')).toBe('a.b');
      expect(parseUsername('0_x-y.z')).toBe('0_x-y.z');
      expect(parseUsername('A'.repeat(64))).toBe('a'.repeat(64));
    });

    it('needs a password of at least 12 characters', async () => {
      const short = await addAccount(deps, admin, { username: 'bob', password: 'elevenchars', role: 'owner' }).catch((e: unknown) => e);
      expect(short).toMatchObject({ code: 'invalid_input', details: { field: 'password' } });
      expect(await code(addAccount(deps, admin, { username: 'bob', password: 'twelve chars', role: 'owner' }))).toBe('ok');
    });

    it('needs a known role', async () => {
      const error = await addAccount(deps, admin, { username: 'bob', password: PASSWORD, role: 'root' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_input', details: { field: 'role' } });
    });

    it('is for admins only', async () => {
      const owner = await stores.accounts.create({ id: 'o', username: 'owner1', passwordHash: 'x', role: 'owner' });
      expect(await code(addAccount(deps, owner, { username: 'bob', password: PASSWORD, role: 'admin' }))).toBe('forbidden');
      expect(await stores.accounts.getByUsername('bob')).toBeNull();
    });

    it('refuses a taken username, whatever its case', async () => {
      await addAccount(deps, admin, { username: 'bob', password: PASSWORD, role: 'owner' });
      expect(await code(addAccount(deps, admin, { username: 'BOB', password: PASSWORD, role: 'owner' }))).toBe('already_exists');
    });
  });

  it('lists accounts for admins only', async () => {
    await addAccount(deps, admin, { username: 'zed', password: PASSWORD, role: 'owner' });
    expect((await listAccounts(deps, admin)).map((a) => a.username)).toEqual(['admin', 'zed']);
    const zed = (await stores.accounts.getByUsername('zed'))!;
    expect(await code(listAccounts(deps, zed))).toBe('forbidden');
  });

  describe('disable and enable', () => {
    it('disables another account and forgets its cached logins; enables it again', async () => {
      const bob = await addAccount(deps, admin, { username: 'bob', password: PASSWORD, role: 'owner' });
      expect(await disableAccount(deps, admin, 'Bob')).toMatchObject({ username: 'bob', disabled: true });
      expect((await stores.accounts.getByUsername('bob'))?.disabled).toBe(true);
      expect(deps.credentialCache.forget).toHaveBeenCalledWith(bob.id);
      expect(await enableAccount(deps, admin, 'bob')).toMatchObject({ username: 'bob', disabled: false });
      expect((await stores.accounts.getByUsername('bob'))?.disabled).toBe(false);
    });

    it('does not let an admin disable itself', async () => {
      expect(await code(disableAccount(deps, admin, 'admin'))).toBe('forbidden');
      expect((await stores.accounts.getByUsername('admin'))?.disabled).toBe(false);
    });

    it('says "not found" for an unknown account, and "forbidden" to non-admins', async () => {
      expect(await code(disableAccount(deps, admin, 'nobody'))).toBe('not_found');
      expect(await code(enableAccount(deps, admin, 'nobody'))).toBe('not_found');
      await addAccount(deps, admin, { username: 'bob', password: PASSWORD, role: 'provisioner' });
      const bob = (await stores.accounts.getByUsername('bob'))!;
      expect(await code(disableAccount(deps, bob, 'admin'))).toBe('forbidden');
      expect(await code(enableAccount(deps, bob, 'bob'))).toBe('forbidden');
    });
  });

  describe('changePassword', () => {
    let bob: AccountRecord;
    beforeEach(async () => {
      await addAccount(deps, admin, { username: 'bob', password: PASSWORD, role: 'owner' });
      bob = (await stores.accounts.getByUsername('bob'))!;
    });

    it('changes the own password given the current one, and forgets cached logins', async () => {
      await changePassword(deps, bob, { currentPassword: PASSWORD, newPassword: 'a brand new password' });
      expect((await stores.accounts.getById(bob.id))?.passwordHash).toBe('plain:a brand new password');
      expect(deps.credentialCache.forget).toHaveBeenCalledWith(bob.id);
    });

    it('refuses a wrong current password, a short new one, or the same one', async () => {
      expect(await code(changePassword(deps, bob, { currentPassword: 'wrong password!', newPassword: 'a brand new password' }))).toBe('forbidden');
      expect(await code(changePassword(deps, bob, { newPassword: 'a brand new password' }))).toBe('forbidden');
      const short = await changePassword(deps, bob, { currentPassword: PASSWORD, newPassword: 'short' }).catch((e: unknown) => e);
      expect(short).toMatchObject({ code: 'invalid_input', details: { field: 'newPassword' } });
      expect(await code(changePassword(deps, bob, { currentPassword: PASSWORD, newPassword: PASSWORD }))).toBe('invalid_input');
      expect((await stores.accounts.getById(bob.id))?.passwordHash).toBe(`plain:${PASSWORD}`);
    });

    it('checks against the stored hash, not the one the caller was authenticated with', async () => {
      await changePassword(deps, bob, { currentPassword: PASSWORD, newPassword: 'second password!' });
      expect(await code(changePassword(deps, bob, { currentPassword: PASSWORD, newPassword: 'third password!!' }))).toBe('forbidden');
    });
  });
});
