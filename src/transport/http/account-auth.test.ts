import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../accounts/account.js';
import type { ApiKeyRecord } from '../../accounts/api-key.js';
import type { Authenticator } from '../../accounts/authenticate.js';
import { UnauthorizedError } from '../../shared/errors.js';
import { requestCredentials, requireAccount } from './account-auth.js';

const KEY = `dk_${'A'.repeat(43)}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const account = (role: AccountRecord['role']): AccountRecord => ({
  id: 'id', username: 'amy', passwordHash: 'h', role, disabled: false, createdAt: new Date(0),
});
const apiKey = (scopes: string[]): ApiKeyRecord => ({
  id: 'k', accountId: 'id', name: 'n', keyHash: 'h', scopes, createdAt: new Date(0), lastUsedAt: null, revokedAt: null, expiresAt: null,
});

function authenticator(role: AccountRecord['role'], scopes: string[]): Authenticator {
  return {
    authenticate: async (username, password) => {
      if (password !== 'pw') throw new UnauthorizedError('wrong username or password');
      return { ...account(role), username };
    },
    authenticateApiKey: async (key) => {
      if (key !== KEY) throw new UnauthorizedError('unknown API key');
      return { account: account(role), apiKey: apiKey(scopes) };
    },
    forget: () => undefined,
  };
}

async function run(auth: Authenticator, headers: Record<string, string>, ...args: [AccountRecord['role'][], Parameters<typeof requireAccount>[2]?]) {
  const request = { headers } as unknown as FastifyRequest;
  try {
    await requireAccount(auth, args[0], args[1])(request, {} as FastifyReply);
    return { ok: true, account: request.account?.username, apiKey: request.apiKey?.id };
  } catch (err) {
    return { ok: false, code: (err as { code: string }).code, message: (err as Error).message };
  }
}

describe('requestCredentials', () => {
  it('reads HTTP Basic, Bearer dk_ and X-API-Key dk_', () => {
    expect(requestCredentials({ authorization: basic('amy', 'a:b') })).toEqual({ kind: 'password', username: 'amy', password: 'a:b' });
    expect(requestCredentials({ authorization: `Bearer ${KEY}` })).toEqual({ kind: 'api-key', key: KEY });
    expect(requestCredentials({ authorization: `bearer  ${KEY} ` })).toEqual({ kind: 'api-key', key: KEY });
    expect(requestCredentials({ 'x-api-key': KEY })).toEqual({ kind: 'api-key', key: KEY });
  });

  it('ignores peer tokens and other bearer tokens, and refuses two credentials at once', () => {
    expect(requestCredentials({ authorization: `Bearer bi_${'A'.repeat(32)}` })).toBeNull();
    expect(requestCredentials({ authorization: 'Bearer something' })).toBeNull();
    expect(requestCredentials({ 'x-api-key': 'nope' })).toBeNull();
    expect(requestCredentials({})).toBeNull();
    expect(() => requestCredentials({ authorization: basic('amy', 'pw'), 'x-api-key': KEY })).toThrow(UnauthorizedError);
  });
});

describe('requireAccount', () => {
  it('checks the role for both kinds of credentials', async () => {
    expect(await run(authenticator('owner', ['devices:read']), { authorization: basic('amy', 'pw') }, ['admin'], 'devices:read'))
      .toMatchObject({ ok: false, code: 'forbidden' });
    expect(await run(authenticator('owner', ['devices:read']), { authorization: `Bearer ${KEY}` }, ['admin'], 'devices:read'))
      .toMatchObject({ ok: false, code: 'forbidden' });
    expect(await run(authenticator('admin', []), { authorization: basic('amy', 'pw') }, ['admin'], 'devices:read'))
      .toEqual({ ok: true, account: 'amy', apiKey: undefined });
    expect(await run(authenticator('admin', []), {}, ['admin'], 'devices:read')).toMatchObject({ ok: false, code: 'unauthorized' });
  });

  it('lets an API key through only with the route\'s scope, within its role', async () => {
    const bearer = { authorization: `Bearer ${KEY}` };
    expect(await run(authenticator('admin', ['devices:read']), bearer, ['admin'], 'devices:read')).toEqual({ ok: true, account: 'amy', apiKey: 'k' });
    expect(await run(authenticator('admin', ['devices:read']), bearer, ['admin'], 'devices:write'))
      .toMatchObject({ ok: false, code: 'forbidden', message: 'this API key lacks the devices:write scope' });
    expect(await run(authenticator('admin', []), bearer, ['admin'], 'any')).toMatchObject({ ok: true });
    // A scope the role no longer allows does not count, whatever the key says.
    expect(await run(authenticator('owner', ['accounts:admin']), bearer, ['owner'], 'accounts:admin')).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('takes HTTP Basic only on a route that declares no scope', async () => {
    expect(await run(authenticator('admin', ['accounts:admin']), { authorization: `Bearer ${KEY}` }, ['admin']))
      .toMatchObject({ ok: false, code: 'forbidden', message: expect.stringContaining('password') });
    expect(await run(authenticator('admin', []), { authorization: basic('amy', 'pw') }, ['admin'])).toMatchObject({ ok: true });
  });
});
