import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { ADMIN_PASSWORD, runDeedAsync, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { deviceAcceptsJoin, joinReq, postBi, randomDevice, resultCode, unwrapKey, type TestDevice } from '../support/network-server.js';

/**
 * The `deed` command line as an operator uses it, against a real `deed serve`: help, usage
 * errors and exit codes, secrets from files and stdin, output formats, pagination, peers, and
 * config validation at boot. Plus the REST API's own contract (OpenAPI, docs, problem JSON).
 */

const NET_ID = '000013';
const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const STACK_TRACE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

type Body = Record<string, unknown>;

type Run = DeedRun;
const runDeed = runDeedAsync;

/**
 * A failed command prints one line on stderr, starting with "deed:" and without a stack trace
 * (docs/cli.md), and exits with `code`.
 */
function expectOneLineError(run: Run, code: number, pattern: RegExp): void {
  expect(run.code, `exit code; stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
  expect(run.stderr).not.toMatch(STACK_TRACE);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^deed: /);
  expect(lines[0]).toMatch(pattern);
}

describe('the deed command line', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-cli-files-');
  const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  /** Every AppKey given to the CLI: none may appear in anything it prints. */
  const appKeys: string[] = [];
  const outputs: string[] = [];
  let nsToken: string;

  /** Runs the CLI against the server (admin credentials), remembering what it printed. */
  async function deed(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
    const run = await runDeed(args, { url: server.url, ...options });
    outputs.push(run.stdout, run.stderr);
    return run;
  }

  function addDevice(device: TestDevice, appKeyArg: string = device.appKey, input?: string): Promise<Run> {
    appKeys.push(device.appKey);
    return deed([
      'device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', appKeyArg,
      '--mac-version', device.macVersion, '--home-net-id', NET_ID,
    ], input !== undefined ? { input } : {});
  }

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    files.remove();
  });

  it('deed --help, and --help of each command, exit 0 and list the options', async () => {
    const cases: [string[], string[]][] = [
      [['--help'], ['serve', 'device', 'peer', 'keys', '--url', '--username', '--password', '--output', 'Exit codes']],
      [['device', '--help'], ['add', 'list', 'get', 'update', 'remove']],
      [['device', 'add', '--help'], ['--dev-eui', '--join-eui', '--app-key', '--nwk-key', '--mac-version', '--home-net-id', '--home-ns-id', '--as-id', '--resets-join-nonces', '@file']],
      [['peer', 'add', '--help'], ['--net-id', '--ns-id', '--as-id', '--token', '--cert', '--cert-fingerprint', '--kek-label', '--kek']],
      [['keys', 'rotate', '--help'], ['--batch-size', '--config']],
      [['serve', '--help'], ['--config', 'DEED_DATA_DIR', 'DEED_HTTP_PORT', 'DEED_ADMIN_PASSWORD', 'DEED_MASTER_KEY']],
    ];
    const runs = await Promise.all(cases.map(([args]) => runDeed(args)));
    cases.forEach(([args, mentions], i) => {
      const run = runs[i];
      expect(run?.code, `deed ${args.join(' ')}: ${run?.stderr}`).toBe(0);
      for (const mention of mentions) expect(run?.stdout, `deed ${args.join(' ')}`).toContain(mention);
    });
  });

  it('exits 2 naming an unknown command or option, or a missing required option, in one line', async () => {
    const [command, subcommand, option, format, required, argument] = await Promise.all([
      runDeed(['frobnicate']),
      runDeed(['devce', 'list']),
      runDeed(['device', 'list', '--frobnicate']),
      runDeed(['-o', 'yaml', 'device', 'list']),
      runDeed(['device', 'add', '--dev-eui', '0004A310001FF9DA']),
      runDeed(['device', 'get']),
    ]);
    expectOneLineError(command, 2, /unknown command 'frobnicate'/);
    expect(command.stdout).toBe('');
    expectOneLineError(subcommand, 2, /unknown command 'devce'.*device/);
    expectOneLineError(option, 2, /unknown option '--frobnicate'/);
    expectOneLineError(format, 2, /yaml/);
    expectOneLineError(required, 2, /--join-eui/);
    expectOneLineError(argument, 2, /dev-eui/);
  });

  it('exits 3 naming the URL when the server is unreachable, 4 on a wrong password or no credentials', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const [unreachable, wrong, none] = await Promise.all([
      runDeed(['device', 'list'], { url }),
      deed(['device', 'list'], { env: { DEED_PASSWORD: 'not-the-password' } }),
      deed(['device', 'list'], { env: { DEED_USERNAME: '', DEED_PASSWORD: '' } }),
    ]);
    expectOneLineError(unreachable, 3, new RegExp(url.replace(/\./g, '\\.')));
    expect(unreachable.stdout).toBe('');
    expectOneLineError(wrong, 4, /password/i);
    expectOneLineError(none, 4, /username|password|authentication/i);
  });

  it('exits 1 naming devEui for an invalid DevEUI, and "already exists" for a duplicate', async () => {
    const device = randomDevice('1.0.3');
    const [invalid, badGet, added] = await Promise.all([
      addDevice({ ...device, devEui: 'XYZ' }),
      deed(['device', 'get', 'not-a-eui']),
      addDevice(device),
    ]);
    expectOneLineError(invalid, 1, /devEui/);
    expectOneLineError(badGet, 1, /devEui/);
    expect(added.code, added.stderr).toBe(0);
    expectOneLineError(await addDevice(device), 1, /already exists/);
  });

  it('reads keys from a file (@file) and from standard input (-), and they are the right keys', async () => {
    writeFileSync(join(files.path, 'ns.kek'), `${NS_KEK}\n`, { mode: 0o600 });
    const fromFile = randomDevice('1.0.3');
    writeFileSync(join(files.path, 'app.key'), `${fromFile.appKey}\n`, { mode: 0o600 });
    const fromStdin = randomDevice('1.0.4');
    const [peer, a, b, missing] = await Promise.all([
      deed(['peer', 'add', '--net-id', NET_ID, '--kek-label', 'ns-kek', '--kek', `@${join(files.path, 'ns.kek')}`]),
      addDevice(fromFile, `@${join(files.path, 'app.key')}`),
      addDevice(fromStdin, '-', `${fromStdin.appKey.toLowerCase()}\n`),
      addDevice(randomDevice('1.0.3'), `@${join(files.path, 'no-such-file')}`),
    ]);
    expect(peer.code, peer.stderr).toBe(0);
    nsToken = peer.json<{ token: string }>().token;
    expect(peer.stdout).not.toContain(NS_KEK);
    expect(a.code, a.stderr).toBe(0);
    expect(a.json<Body>()['rootKeysAvailable']).toEqual({ appKey: true, nwkKey: false });
    expect(b.code, b.stderr).toBe(0);
    expectOneLineError(missing, 2, /--app-key.*no-such-file/);

    // The keys that reached the server are the ones in the file and on stdin: the devices join,
    // and the NS KEK read from the file wraps the NwkSKey.
    for (const device of [fromFile, fromStdin]) {
      const answer = await postBi(server.url, nsToken, joinReq(device, 1));
      expect(resultCode(answer.body), JSON.stringify(answer.body)).toBe('Success');
      const accepted = deviceAcceptsJoin(device, 1, NET_ID, answer.body['PHYPayload'] as string);
      expect(accepted.micOk).toBe(true);
      expect(unwrapKey(NS_KEK, (answer.body['NwkSKey'] as { AESKey: string }).AESKey)).toBe(accepted.keys['NwkSKey']);
    }
  });

  it('prints a table with -o table, and pages device list with --limit and --after', async () => {
    // DevEUIs <prefix>000000000000, …002, …004, …: the odd ones in between are not registered.
    const prefix = randomBytes(2).toString('hex').toUpperCase();
    const mine = Array.from({ length: 5 }, (_, i) => randomDevice('1.0.3', `${prefix}${String(i * 2).padStart(12, '0')}`));
    for (const d of mine) {
      appKeys.push(d.appKey);
      const created = await fetch(`${server.url}/api/v1/devices`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' },
        body: JSON.stringify({ devEui: d.devEui, joinEui: d.joinEui, appKey: d.appKey, macVersion: d.macVersion, homeNetId: NET_ID }),
      });
      expect(created.status).toBe(201);
    }

    const [allRun, table, fromGapRun, getTable] = await Promise.all([
      deed(['device', 'list', '--limit', '1000']),
      deed(['-o', 'table', 'device', 'list']),
      deed(['device', 'list', '--limit', '3', '--after', `${prefix}000000000001`]),
      deed(['device', 'get', mine[0]?.devEui ?? '', '--output', 'table']),
    ]);
    const all = allRun.json<{ devices: { devEUI: string }[]; next: string | null }>();
    expect(all.next).toBeNull();
    const everyDevEui = all.devices.map((d) => d.devEUI);
    expect(everyDevEui).toEqual([...everyDevEui].sort());
    for (const d of mine) expect(everyDevEui).toContain(d.devEui);

    const paged: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const run = await deed(['device', 'list', '--limit', '2', ...(after !== null ? ['--after', after] : [])]);
      expect(run.code, run.stderr).toBe(0);
      const { devices, next } = run.json<{ devices: { devEUI: string }[]; next: string | null }>();
      expect(devices.length).toBeLessThanOrEqual(2);
      paged.push(...devices.map((d) => d.devEUI));
      if (next === null) break;
      expect(next).toBe(devices.at(-1)?.devEUI);
      after = next;
    }
    expect(paged).toEqual(everyDevEui);

    // --after a DevEUI that is not registered starts right after it.
    const fromGap = fromGapRun.json<{ devices: { devEUI: string }[]; next: string | null }>();
    expect(fromGap.devices.map((d) => d.devEUI)).toEqual(mine.slice(1, 4).map((d) => d.devEui));
    expect(fromGap.next).toBe(mine[3]?.devEui);

    expect(table.code, table.stderr).toBe(0);
    expect(() => JSON.parse(table.stdout) as unknown).toThrow();
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DEVEUI\s+JOINEUI\s+MACVERSION\s+STATE\s+HOMENETID\s+ASID\s+ROOTKEYSAVAILABLE\s+ROOTKEYSEXPOSED$/);
    expect(lines).toHaveLength(everyDevEui.length + 1);
    for (const d of mine) expect(lines.some((l) => l.startsWith(d.devEui) && l.includes(d.joinEui) && l.includes(NET_ID))).toBe(true);
    expect(getTable.stdout).toMatch(/^DEVEUI\s+JOINEUI/);
  });

  it('removes a device; then get exits 1 "not found"', async () => {
    const device = randomDevice('1.1');
    appKeys.push(device.appKey);
    const add = await deed(['device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', device.appKey,
      '--nwk-key', device.nwkKey ?? '', '--mac-version', '1.1']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json<Body>()['rootKeysAvailable']).toEqual({ appKey: true, nwkKey: true });
    expect((await deed(['device', 'get', device.devEui.toLowerCase()])).json<Body>()['devEUI']).toBe(device.devEui);
    const removed = await deed(['device', 'remove', device.devEui]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json<Body>()).toEqual({ removed: device.devEui });
    const [get, again] = await Promise.all([deed(['device', 'get', device.devEui]), deed(['device', 'remove', device.devEui])]);
    expectOneLineError(get, 1, /not found|no device/i);
    expectOneLineError(again, 1, /not found|no device/i);
  });

  it('prints a generated peer token once; peer list and get never show it', async () => {
    const chosen = `chosen-token-${randomBytes(8).toString('hex')}`;
    const [add, withToken] = await Promise.all([
      deed(['peer', 'add', '--as-id', 'as-generated']),
      deed(['peer', 'add', '--as-id', 'as-chosen', '--token', '-'], { input: chosen }),
    ]);
    expect(add.code, add.stderr).toBe(0);
    const { token, id } = add.json<{ token: string; id: string }>();
    expect(id).toBe('as:as-generated');
    expect(token.length).toBeGreaterThanOrEqual(24);
    expect(add.stdout.split(token).length - 1).toBe(1);
    // A token the operator chose is not echoed.
    expect(withToken.code, withToken.stderr).toBe(0);
    expect(withToken.stdout).not.toContain(chosen);
    expect(withToken.json<Body>()['token']).toBeUndefined();

    const [list, table, get, duplicate] = await Promise.all([
      deed(['peer', 'list']), deed(['-o', 'table', 'peer', 'list']), deed(['peer', 'get', id]),
      deed(['peer', 'add', '--as-id', 'as-generated']),
    ]);
    for (const run of [list, table, get]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('as-generated');
      expect(run.stdout).not.toContain(token);
      expect(run.stdout).not.toContain(chosen);
      expect(run.stdout).not.toMatch(/"token":\s*"/);
    }
    expect(get.json<Body>()['authentication']).toEqual({ token: true, certFingerprint: null });
    expectOneLineError(duplicate, 1, /already exists/);
    expect(duplicate.stdout).not.toContain(token);
  });

  it('registers a client certificate\'s SHA-256 fingerprint with peer add --cert', async () => {
    const dir = files.path;
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=ns-000014', '-keyout', join(dir, 'ns.key'), '-out', join(dir, 'ns.crt'),
    ], { stdio: 'pipe' });
    const fingerprint = execFileSync('openssl', ['x509', '-in', join(dir, 'ns.crt'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
      .trim().replace(/^.*=/, '').replace(/:/g, '').toUpperCase();
    expect(fingerprint).toMatch(/^[0-9A-F]{64}$/);

    const [add, notACert] = await Promise.all([
      deed(['peer', 'add', '--net-id', '000014', '--cert', join(dir, 'ns.crt')]),
      deed(['peer', 'add', '--net-id', '000015', '--cert', join(dir, 'ns.key')]),
    ]);
    expect(add.code, add.stderr).toBe(0);
    const peer = add.json<{ id: string; token?: string; authentication: { token: boolean; certFingerprint: string | null } }>();
    expect(peer.id).toBe('ns:000014');
    expect(peer.token).toBeUndefined();
    expect(peer.authentication).toEqual({ token: false, certFingerprint: fingerprint });
    expectOneLineError(notACert, 2, /--cert/);

    expect((await deed(['peer', 'get', 'ns:000014'])).json<Body>()['authentication']).toEqual({ token: false, certFingerprint: fingerprint });
    expect((await deed(['peer', 'remove', 'ns:000014'])).code).toBe(0);
    expectOneLineError(await deed(['peer', 'get', 'ns:000014']), 1, /not found|no peer/i);
  });

  it('deed serve refuses a bad setting at boot, naming it', async () => {
    const dir = tempDir();
    try {
      const env = { DEED_DATA_DIR: dir.path, DEED_HTTP_HOST: '127.0.0.1', DEED_ADMIN_PASSWORD: ADMIN_PASSWORD };
      const [badPort, badKey] = await Promise.all([
        runDeed(['serve'], { env: { ...env, DEED_HTTP_PORT: 'abc' } }),
        runDeed(['serve'], { env: { ...env, DEED_HTTP_PORT: '0', DEED_MASTER_KEY: 'secret-but-wrong-master-key' } }),
      ]);
      expect(badPort.code, badPort.stderr).toBe(2);
      expect(badPort.stderr).toMatch(/^deed: /);
      expect(badPort.stderr).toContain('DEED_HTTP_PORT');
      expect(badPort.stderr).not.toMatch(STACK_TRACE);
      expect(badPort.stderr).not.toContain('Deed is serving');

      expect(badKey.code).toBe(2);
      expect(badKey.stderr).toContain('DEED_HTTP_PORT');
      expect(badKey.stderr).toContain('DEED_MASTER_KEY');
      expect(badKey.stderr).not.toContain('secret-but-wrong-master-key');
      // Refused before touching the data directory.
      expect(readdirSync(dir.path)).toEqual([]);
    } finally {
      dir.remove();
    }
  });

  it('never prints an AppKey it was given', async () => {
    expect(appKeys.length).toBeGreaterThan(5);
    const list = await deed(['device', 'list', '--limit', '1000']);
    const printed = outputs.join('\n').toUpperCase();
    for (const key of appKeys) expect(printed).not.toContain(key);
    expect(list.stdout).not.toMatch(/appKey"\s*:\s*"/);
    const log = server.output().toUpperCase();
    for (const key of appKeys) expect(log).not.toContain(key);
  });
});

describe('the REST API contract', () => {
  let server: DeedServer;
  const data = tempDir();
  const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('serves an OpenAPI 3 document listing the BI endpoint, devices and peers', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await response.json()) as {
      openapi: string; info: { title: string; version: string };
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    for (const path of ['/api/bi', '/api/v1/devices', '/api/v1/devices/{devEui}', '/api/v1/peers']) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(Object.keys(doc.paths['/api/bi'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/api/v1/devices'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      for (const [method, operation] of Object.entries(item)) {
        if (!methods.has(method)) continue;
        expect(operation.responses, `${method} ${path} has responses`).toBeTypeOf('object');
      }
    }
    // Every $ref resolves inside the document.
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"(#[^"]*)"/g)) {
      let node: unknown = doc;
      for (const part of (ref ?? '#').slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      expect(node, `$ref ${ref}`).toBeDefined();
    }
    // The document describes keys' presence, never their values.
    expect(JSON.stringify(doc.paths['/api/v1/devices/{devEui}'])).not.toMatch(/"appKey":\{"type":"string"/);
  });

  it('serves the API documentation at /docs', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers an unauthenticated or wrongly authenticated request with 401 problem JSON', async () => {
    for (const headers of [{}, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }, { authorization: 'Bearer something' }]) {
      const response = await fetch(`${server.url}/api/v1/devices`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
      const body = (await response.json()) as Body;
      expect(body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
      expect(typeof body['detail']).toBe('string');
      expect(typeof body['type']).toBe('string');
    }
  });

  it('refuses an unknown body field with 400 problem JSON', async () => {
    const device = randomDevice('1.0.3');
    const post = (path: string, method: string, body: Body) => fetch(`${server.url}${path}`, {
      method, headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const good = { devEui: device.devEui, joinEui: device.joinEui, appKey: device.appKey, macVersion: '1.0.3' };
    for (const [path, method, body] of [
      ['/api/v1/devices', 'POST', { ...good, colour: 'blue' }],
      ['/api/v1/peers', 'POST', { asId: 'as-x', colour: 'blue' }],
    ] as const) {
      const response = await post(path, method, body);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as Body;
      expect(problem).toMatchObject({ status: 400 });
      expect(String(problem['detail'])).toMatch(/colour|additional/i);
      expect(JSON.stringify(problem)).not.toContain(device.appKey);
    }
    // Nothing was created by the refused request; the good one works, and PATCH refuses unknown fields too.
    expect((await fetch(`${server.url}/api/v1/devices/${device.devEui}`, { headers: { authorization: basic } })).status).toBe(404);
    expect((await post('/api/v1/devices', 'POST', good)).status).toBe(201);
    const patch = await post(`/api/v1/devices/${device.devEui}`, 'PATCH', { colour: 'blue' });
    expect(patch.status).toBe(400);
    const keyChange = await post(`/api/v1/devices/${device.devEui}`, 'PATCH', { appKey: device.appKey });
    expect(keyChange.status).toBe(400);
    expect(await keyChange.text()).not.toContain(device.appKey);
  });
});
