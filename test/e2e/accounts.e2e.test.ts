import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { joinReq, postBi, randomDevice, resultCode } from '../support/network-server.js';

/**
 * Accounts, roles and API keys end to end: the admin creates accounts with the real `deed`
 * CLI, they authenticate over HTTP Basic or with API keys against a real `deed serve`, and
 * what they may do follows their role and their key's scopes (docs/accounts.md).
 */

const MAKER = { username: 'acme-factory', password: 'maker password 1' };
const OWNER = { username: 'olive', password: 'owner password 1' };
const DORA = { username: 'dora', password: 'dora password 12' };

type Body = Record<string, unknown>;
type Auth = { basic: { username: string; password: string } } | { bearer: string } | { apiKeyHeader: string } | null;

describe('accounts, roles and API keys', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-accounts-files-');
  /** Every response body and CLI output: none may contain a password hash or a key hash. */
  const seen: string[] = [];
  const admin: Auth = { basic: { username: 'admin', password: ADMIN_PASSWORD } };
  const as = (user: { username: string; password: string }): Auth => ({ basic: user });

  function headersFor(auth: Auth): Record<string, string> {
    if (auth === null) return {};
    if ('basic' in auth) return { authorization: `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}` };
    if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
    return { 'x-api-key': auth.apiKeyHeader };
  }

  async function api(method: string, path: string, auth: Auth, body?: unknown): Promise<{ status: number; body: Body & Body[] }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...headersFor(auth), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    seen.push(text);
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Body & Body[] };
  }

  /** The CLI against the server, as the admin unless `env` says otherwise. */
  function deed(args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}) {
    const run = runDeed(args, { url: server.url, ...options });
    seen.push(run.stdout, run.stderr);
    return run;
  }

  /** Creates an API key through the CLI (as `user`, the admin by default); returns the key and its id. */
  function createKey(scopes: string[], user = { username: 'admin', password: ADMIN_PASSWORD }): { key: string; id: string } {
    const run = deed(['api-keys', 'create', '--name', `key for ${scopes.join(' ')}`, '--scope', ...scopes],
      { env: { DEED_USERNAME: user.username, DEED_PASSWORD: user.password } });
    expect(run.code, run.stderr).toBe(0);
    return run.json<{ key: string; id: string }>();
  }

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    files.remove();
  });

  it('has --help for every accounts and api-keys command', () => {
    const cases: [string[], string[]][] = [
      [['--help'], ['accounts', 'api-keys', '--api-key']],
      [['accounts', '--help'], ['add', 'list', 'disable', 'enable', 'password']],
      [['accounts', 'add', '--help'], ['--username', '--role', '--password-stdin', '--password-file']],
      [['accounts', 'list', '--help'], ['admin']],
      [['accounts', 'disable', '--help'], ['<username>']],
      [['accounts', 'enable', '--help'], ['<username>']],
      [['accounts', 'password', '--help'], ['--password-stdin', '--password-file']],
      [['api-keys', '--help'], ['create', 'list', 'revoke']],
      [['api-keys', 'create', '--help'], ['--name', '--scope', '--expires-in', 'devices:read', 'accounts:admin']],
      [['api-keys', 'list', '--help'], ['--account']],
      [['api-keys', 'revoke', '--help'], ['<id>', '--account']],
    ];
    for (const [args, mentions] of cases) {
      const run = runDeed(args);
      expect(run.code, `deed ${args.join(' ')}: ${run.stderr}`).toBe(0);
      for (const mention of mentions) expect(run.stdout, `deed ${args.join(' ')}`).toContain(mention);
    }
  });

  it('lets the admin create a provisioner and an owner with --password-stdin (and --password-file)', () => {
    const maker = deed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'], { input: `${MAKER.password}\n` });
    expect(maker.code, maker.stderr).toBe(0);
    expect(maker.json<Body>()).toMatchObject({ username: MAKER.username, role: 'provisioner', disabled: false });
    expect(maker.stdout).not.toContain(MAKER.password);

    const owner = deed(['accounts', 'add', '--username', OWNER.username.toUpperCase(), '--role', 'owner', '--password-stdin'], { input: OWNER.password });
    expect(owner.code, owner.stderr).toBe(0);
    expect(owner.json<Body>()).toMatchObject({ username: OWNER.username, role: 'owner' });

    writeFileSync(join(files.path, 'dora.pw'), `${DORA.password}\n`, { mode: 0o600 });
    const dora = deed(['accounts', 'add', '--username', DORA.username, '--role', 'owner', '--password-file', join(files.path, 'dora.pw')]);
    expect(dora.code, dora.stderr).toBe(0);

    const list = deed(['accounts', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json<Body[]>().map((a) => [a['username'], a['role']])).toEqual([
      [MAKER.username, 'provisioner'], ['admin', 'admin'], [DORA.username, 'owner'], [OWNER.username, 'owner'],
    ]);
    const table = deed(['-o', 'table', 'accounts', 'list']);
    expect(table.stdout).toMatch(/^USERNAME\s+ROLE\s+DISABLED/);
  });

  it('refuses bad accounts: a short password, a bad name, a taken name, no password source', () => {
    const short = deed(['accounts', 'add', '--username', 'shorty', '--role', 'owner', '--password-stdin'], { input: 'too short' });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^deed: .*password.*12 characters/);
    const badName = deed(['accounts', 'add', '--username', 'no spaces', '--role', 'owner', '--password-stdin'], { input: MAKER.password });
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('username');
    const taken = deed(['accounts', 'add', '--username', MAKER.username, '--role', 'owner', '--password-stdin'], { input: MAKER.password });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already exists');
    const badRole = deed(['accounts', 'add', '--username', 'someone', '--role', 'root', '--password-stdin'], { input: MAKER.password });
    expect(badRole.code).toBe(2);
    // Standard input is not a terminal here, so there is no prompt to fall back on.
    const noSource = deed(['accounts', 'add', '--username', 'someone', '--role', 'owner']);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/--password-stdin|--password-file/);
  });

  it('lets a provisioner and an owner authenticate, and refuses them admin-only routes with 403', async () => {
    const me = await api('GET', '/api/v1/me', as(MAKER));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: MAKER.username, role: 'provisioner', authenticatedWith: 'password' });
    expect(me.body['scopes']).not.toContain('accounts:admin');
    expect((await api('GET', '/api/v1/me', as(OWNER))).body).toMatchObject({ username: OWNER.username, role: 'owner' });

    for (const user of [MAKER, OWNER]) {
      for (const [method, path, body] of [
        ['GET', '/api/v1/accounts'],
        ['POST', '/api/v1/accounts', { username: 'sneaky', password: 'sneaky password', role: 'admin' }],
        ['POST', `/api/v1/accounts/${DORA.username}/disable`],
        ['GET', '/api/v1/peers'],
        ['POST', '/api/v1/peers', { asId: 'as-sneaky' }],
        ['GET', `/api/v1/accounts/admin/api-keys`],
      ] as const) {
        const response = await api(method, path, as(user), body);
        expect(response.status, `${user.username} ${method} ${path}`).toBe(403);
        expect(response.body).toMatchObject({ code: 'forbidden' });
      }
    }
    expect((await api('GET', '/api/v1/accounts', admin)).body.map((a) => a['username'])).not.toContain('sneaky');
  });

  it('exits 4 when a non-admin runs deed accounts add', () => {
    const run = deed(['accounts', 'add', '--username', 'sneaky', '--role', 'admin', '--password-stdin'],
      { env: { DEED_USERNAME: MAKER.username, DEED_PASSWORD: MAKER.password }, input: 'sneaky password 1' });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/^deed: .*admin/);
    // The connection username may also come before the command, apart from the new account's.
    const before = deed(['--username', MAKER.username, '--password', MAKER.password, 'accounts', 'add', '--username', 'sneaky', '--role', 'owner', '--password-stdin'],
      { env: { DEED_USERNAME: '', DEED_PASSWORD: '' }, input: 'sneaky password 1' });
    expect(before.code, before.stderr).toBe(4);
    expect(before.stderr).toContain(MAKER.username);
  });

  it('lets an API key with devices:read list devices but not add one (403 naming devices:write)', async () => {
    const { key } = createKey(['devices:read']);
    expect(key).toMatch(/^dk_/);

    const list = deed(['--api-key', key, 'device', 'list'], { env: { DEED_USERNAME: '', DEED_PASSWORD: '' } });
    expect(list.code, list.stderr).toBe(0);
    expect(list.json<Body>()['devices']).toEqual([]);
    const fromEnv = deed(['device', 'list', '-o', 'table'], { env: { DEED_API_KEY: key } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);

    const device = randomDevice('1.0.3');
    const add = deed(['device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', device.appKey, '--mac-version', '1.0.3'],
      { env: { DEED_API_KEY: key } });
    expect(add.code).toBe(4);
    expect(add.stderr).toContain('devices:write');

    for (const auth of [{ bearer: key }, { apiKeyHeader: key }]) {
      expect((await api('GET', '/api/v1/devices', auth)).status).toBe(200);
      const refused = await api('POST', '/api/v1/devices', auth, { devEui: device.devEui, joinEui: device.joinEui, appKey: device.appKey, macVersion: '1.0.3' });
      expect(refused.status).toBe(403);
      expect(refused.body['detail']).toContain('devices:write');
      expect((await api('GET', '/api/v1/peers', auth)).status).toBe(403);
      expect((await api('GET', '/api/v1/accounts', auth)).status).toBe(403);
    }
    expect((await api('GET', `/api/v1/devices/${device.devEui}`, admin)).status).toBe(404);

    const me = await api('GET', '/api/v1/me', { bearer: key });
    expect(me.body).toMatchObject({ username: 'admin', authenticatedWith: 'api-key', scopes: ['devices:read'] });
    // A key cannot mint keys or change the password.
    expect((await api('POST', '/api/v1/me/api-keys', { bearer: key }, { name: 'more', scopes: ['devices:write'] })).status).toBe(403);
    expect((await api('GET', '/api/v1/me/api-keys', { bearer: key })).status).toBe(403);
    expect((await api('PUT', '/api/v1/me/password', { bearer: key }, { currentPassword: ADMIN_PASSWORD, newPassword: 'x'.repeat(12) })).status).toBe(403);
  });

  it('lets keys with the right scopes manage devices, peers and accounts', async () => {
    const { key } = createKey(['devices:write', 'peers:admin', 'accounts:admin']);
    const device = randomDevice('1.0.3');
    const added = await api('POST', '/api/v1/devices', { bearer: key }, { devEui: device.devEui, joinEui: device.joinEui, appKey: device.appKey, macVersion: '1.0.3' });
    expect(added.status).toBe(201);
    // devices:write does not include devices:read.
    expect((await api('GET', '/api/v1/devices', { bearer: key })).status).toBe(403);
    expect((await api('GET', '/api/v1/peers', { bearer: key })).status).toBe(200);
    expect((await api('GET', '/api/v1/accounts', { bearer: key })).status).toBe(200);
  });

  it('answers 401 to a revoked key, at once', async () => {
    const { key, id } = createKey(['devices:read']);
    expect((await api('GET', '/api/v1/devices', { bearer: key })).status).toBe(200);
    const listed = deed(['api-keys', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json<Body[]>().find((k) => k['id'] === id)).toMatchObject({ status: 'active', scopes: ['devices:read'] });
    expect(listed.stdout).not.toContain(key);

    const revoked = deed(['api-keys', 'revoke', id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const response = await api('GET', '/api/v1/devices', { bearer: key });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized' });
    const cli = deed(['device', 'list'], { env: { DEED_API_KEY: key } });
    expect(cli.code).toBe(4);
    expect(cli.stderr).toContain('revoked');
    expect(deed(['api-keys', 'list']).json<Body[]>().find((k) => k['id'] === id)).toMatchObject({ status: 'revoked' });
    expect(deed(['api-keys', 'revoke', 'no-such-key']).code).toBe(1);
  });

  it('does not let a provisioner\'s API key carry accounts:admin', async () => {
    const run = deed(['api-keys', 'create', '--name', 'too much', '--scope', 'devices:read,accounts:admin'],
      { env: { DEED_USERNAME: MAKER.username, DEED_PASSWORD: MAKER.password } });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('accounts:admin');
    const rest = await api('POST', '/api/v1/me/api-keys', as(MAKER), { name: 'too much', scopes: ['accounts:admin'] });
    expect(rest.status).toBe(403);
    expect(rest.body['detail']).toContain('accounts:admin');
    const unknown = await api('POST', '/api/v1/me/api-keys', as(MAKER), { name: 'unknown', scopes: ['devices:delete'] });
    expect(unknown.status).toBe(400);
    expect((await api('GET', '/api/v1/me/api-keys', as(MAKER))).body).toEqual([]);

    // Within its role it may have keys; on the device routes it sees its own inventory only
    // (empty: devices the admin adds are not the maker's).
    const adminsDevice = randomDevice('1.0.3');
    expect((await api('POST', '/api/v1/devices', admin, {
      devEui: adminsDevice.devEui, joinEui: adminsDevice.joinEui, appKey: adminsDevice.appKey, macVersion: '1.0.3',
    })).status).toBe(201);
    const { key } = createKey(['devices:read', 'devices:export-keys'], MAKER);
    expect((await api('GET', '/api/v1/me', { apiKeyHeader: key })).body).toMatchObject({ username: MAKER.username, scopes: ['devices:read', 'devices:export-keys'] });
    const inventory = await api('GET', '/api/v1/devices', { bearer: key });
    expect(inventory.status).toBe(200);
    expect(inventory.body).toEqual({ devices: [], next: null, total: 0 });
    expect((await api('GET', `/api/v1/devices/${adminsDevice.devEui}`, { bearer: key })).status).toBe(404);
    // The admin sees (and could revoke) the provisioner's keys, never the key itself.
    const keys = deed(['api-keys', 'list', '--account', MAKER.username]);
    expect(keys.json<Body[]>()).toHaveLength(1);
    expect(keys.stdout).not.toContain(key);
  });

  it('answers 401 to a disabled account (password at once on this instance, API keys at once), and works again once enabled', async () => {
    const { key } = createKey(['devices:read'], DORA);
    expect((await api('GET', '/api/v1/me', as(DORA))).status).toBe(200);
    expect((await api('GET', '/api/v1/me', { bearer: key })).status).toBe(200);

    const disabled = deed(['accounts', 'disable', DORA.username]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.json<Body>()).toMatchObject({ username: DORA.username, disabled: true });
    expect((await api('GET', '/api/v1/me', as(DORA))).status).toBe(401);
    expect((await api('GET', '/api/v1/me', { bearer: key })).status).toBe(401);
    const cli = deed(['device', 'list'], { env: { DEED_USERNAME: DORA.username, DEED_PASSWORD: DORA.password } });
    expect(cli.code).toBe(4);

    const self = deed(['accounts', 'disable', 'admin']);
    expect(self.code).toBe(4);
    expect(self.stderr).toContain('own account');
    expect(deed(['accounts', 'disable', 'nobody']).code).toBe(1);

    expect(deed(['accounts', 'enable', DORA.username]).code).toBe(0);
    expect((await api('GET', '/api/v1/me', as(DORA))).status).toBe(200);
    expect((await api('GET', '/api/v1/me', { bearer: key })).status).toBe(200);
  });

  it('changes an own password: the old one stops, the new one works', async () => {
    const newPassword = 'olive new password';
    const run = deed(['accounts', 'password', '--password-stdin'], { env: { DEED_USERNAME: OWNER.username, DEED_PASSWORD: OWNER.password }, input: newPassword });
    expect(run.code, run.stderr).toBe(0);
    expect((await api('GET', '/api/v1/me', as(OWNER))).status).toBe(401);
    expect((await api('GET', '/api/v1/me', as({ username: OWNER.username, password: newPassword }))).status).toBe(200);
    const wrong = await api('PUT', '/api/v1/me/password', as({ username: OWNER.username, password: newPassword }), { currentPassword: 'not it at all', newPassword: 'whatever password' });
    expect(wrong.status).toBe(403);
  });

  it('keeps peer tokens and API keys apart: a bi_ token is not an API key, a dk_ key is not a peer', async () => {
    const peer = deed(['peer', 'add', '--net-id', '000013']);
    expect(peer.code, peer.stderr).toBe(0);
    const { token } = peer.json<{ token: string }>();
    expect(token).toMatch(/^bi_/);
    expect((await api('GET', '/api/v1/devices', { bearer: token })).status).toBe(401);
    expect((await api('GET', '/api/v1/me', { apiKeyHeader: token })).status).toBe(401);

    const { key } = createKey(['devices:read', 'peers:admin']);
    const device = randomDevice('1.0.3');
    const asKey = await postBi(server.url, key, joinReq(device, 1));
    expect(resultCode(asKey.body)).toBe('UnknownSender');
    // The peer token still reaches the Join Server (the device is unknown, the sender is not).
    const asPeer = await postBi(server.url, token, joinReq(device, 1));
    expect(resultCode(asPeer.body)).not.toBe('UnknownSender');
  });

  it('documents the new routes and both kinds of credentials in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    for (const path of ['/api/v1/accounts', '/api/v1/accounts/{username}/disable', '/api/v1/accounts/{username}/enable',
      '/api/v1/me/password', '/api/v1/me/api-keys', '/api/v1/me/api-keys/{id}']) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['basic', 'apiKey', 'apiKeyHeader', 'peerToken']));
    expect(doc.paths['/api/v1/devices']?.['post']?.security).toContainEqual({ apiKey: ['devices:write'] });
    expect(doc.paths['/api/v1/me/api-keys']?.['post']?.security).toEqual([{ basic: [] }]);
    const text = JSON.stringify(doc.paths);
    expect(text).not.toMatch(/"passwordHash"|"keyHash"/);
  });

  it('never shows a password hash or an API key hash', async () => {
    // Every account and key once more, through every listing.
    await api('GET', '/api/v1/accounts', admin);
    for (const user of [MAKER.username, DORA.username, 'admin']) await api('GET', `/api/v1/accounts/${user}/api-keys`, admin);
    deed(['accounts', 'list']);
    deed(['-o', 'table', 'api-keys', 'list']);

    const db = new Database(join(data.path, 'deed.db'), { readonly: true, fileMustExist: true });
    let secrets: string[];
    try {
      secrets = [
        ...db.prepare('select password_hash as h from accounts').all().map((r) => (r as { h: string }).h),
        ...db.prepare('select key_hash as h from api_keys').all().map((r) => (r as { h: string }).h),
      ];
    } finally {
      db.close();
    }
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    const everything = seen.join('\n');
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      // The scrypt parts (salt, hash) alone must not appear either.
      for (const part of secret.split('$').filter((p) => p.length >= 16)) expect(everything).not.toContain(part);
    }
    expect(everything).not.toMatch(/scrypt\$|"passwordHash"|"keyHash"|"password_hash"|"key_hash"/);
    // Nor the hash of any key handed out, nor the log of the server.
    const keys = [...everything.matchAll(/dk_[A-Za-z0-9_-]{43}/g)].map((m) => m[0]);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) expect(everything).not.toContain(createHash('sha256').update(key).digest('hex'));
    const log = server.output();
    for (const secret of secrets) expect(log).not.toContain(secret);
    for (const key of keys) expect(log).not.toContain(key);
    expect(log).not.toContain(MAKER.password);
  });
});
