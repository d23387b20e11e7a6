import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../shared/errors.js';
import type { AccountRecord } from './account.js';
import { createConsoleSessions, type ConsoleSessionRecord, type ConsoleSessionStore } from './console-session.js';
import { createSignInLimiter } from './sign-in-limiter.js';

function memoryStore(): ConsoleSessionStore & { rows: Map<string, ConsoleSessionRecord> } {
  const rows = new Map<string, ConsoleSessionRecord>();
  return {
    rows,
    async create(session) { rows.set(session.id, session); },
    async findByHash(hash) { return [...rows.values()].find((s) => s.tokenHash === hash) ?? null; },
    async remove(id) { return rows.delete(id); },
    async removeForAccount(accountId, exceptId) {
      let n = 0;
      for (const [id, s] of rows) if (s.accountId === accountId && id !== exceptId) { rows.delete(id); n++; }
      return n;
    },
    async removeExpired(now) {
      let n = 0;
      for (const [id, s] of rows) if (s.expiresAt <= now) { rows.delete(id); n++; }
      return n;
    },
  };
}

const olive: AccountRecord = { id: 'acc-1', username: 'olive', passwordHash: 'x', role: 'owner', disabled: false, createdAt: new Date(0) };

function setup() {
  let now = new Date(Date.UTC(2026, 0, 1));
  let account: AccountRecord = olive;
  const store = memoryStore();
  const sessions = createConsoleSessions({
    store,
    accounts: { getById: async (id) => (id === account.id ? account : null) },
    auth: {
      authenticate: async (username, password) => {
        if (username !== 'olive' || password !== 'right password') throw new UnauthorizedError('wrong username or password');
        return account;
      },
    },
    limiter: createSignInLimiter({ maxFailuresUsername: 2, maxFailuresAddress: 100, lockoutSeconds: 30, lockoutMaxSeconds: 60, windowSeconds: 600 }),
    clock: { now: () => now },
    lifetimeMs: 60_000,
  });
  return {
    store, sessions,
    advance: (ms: number) => { now = new Date(now.getTime() + ms); },
    disable: () => { account = { ...account, disabled: true }; },
  };
}

describe('console sessions', () => {
  it('signs in, stores only the token hash, resolves the session and its CSRF token', async () => {
    const { store, sessions } = setup();
    const signed = await sessions.signIn(' Olive ', 'right password', '127.0.0.1');
    expect(signed.token).toMatch(/^ds_[A-Za-z0-9_-]{43}$/);
    const [row] = [...store.rows.values()];
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(signed.token);
    expect((await sessions.resolve(signed.token))?.account.username).toBe('olive');
    expect(sessions.csrfToken(signed.token)).toBe(signed.csrfToken);
    expect(sessions.csrfMatches(signed.token, signed.csrfToken)).toBe(true);
    expect(sessions.csrfMatches(signed.token, `${signed.csrfToken}x`)).toBe(false);
    expect(sessions.csrfMatches(signed.token, undefined)).toBe(false);
    expect(await sessions.resolve('ds_unknown')).toBeNull();
  });

  it('ends at expiry, on sign-out, when the account is disabled, and for other sessions after a password change', async () => {
    const { sessions, advance, disable } = setup();
    const a = await sessions.signIn('olive', 'right password', 'ip');
    const b = await sessions.signIn('olive', 'right password', 'ip');
    await sessions.endOtherSessions(olive.id, a.token);
    expect(await sessions.resolve(a.token)).not.toBeNull();
    expect(await sessions.resolve(b.token)).toBeNull();
    await sessions.signOut(a.token);
    expect(await sessions.resolve(a.token)).toBeNull();
    const c = await sessions.signIn('olive', 'right password', 'ip');
    advance(60_000);
    expect(await sessions.resolve(c.token)).toBeNull();
    const d = await sessions.signIn('olive', 'right password', 'ip');
    disable();
    expect(await sessions.resolve(d.token)).toBeNull();
  });

  it('locks sign-in out after wrong passwords, even for the right one, and says how long', async () => {
    const { sessions, advance } = setup();
    await expect(sessions.signIn('olive', 'wrong', 'ip')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(sessions.signIn('olive', 'wrong', 'ip')).rejects.toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 30 } });
    await expect(sessions.signIn('olive', 'right password', 'ip')).rejects.toMatchObject({ code: 'rate_limited' });
    advance(30_000);
    await expect(sessions.signIn('olive', 'right password', 'ip')).resolves.toMatchObject({ account: { username: 'olive' } });
    await expect(sessions.signIn('olive', '', 'ip')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
