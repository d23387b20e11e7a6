import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, runDeedAsync, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { deviceAcceptsJoin, joinReq, postBi, resultCode, type TestDevice } from '../support/network-server.js';
import { MICROCHIP_FIXTURES } from '../support/shared-fixtures.js';

/**
 * Vendor key batches, end to end: a provisioner imports the real Microchip TNGLORA manifest
 * (which carries no root keys), the device's JoinReqs fail with JoinReqFailed "root keys not
 * available", the admin attaches the vendor's keys with `deed keys import-vendor` (wrapped here
 * with node:crypto's RFC 3394, not Deed's), and the same JoinReq then gets a JoinAccept that
 * lora-packet verifies.
 */

const DEV_EUI = '0004A310001FF9DA';
const UNIQUE_ID = '01238ebe20080bd527';
const NET_ID = '000013';
const NS_KEK = '00112233445566778899AABBCCDDEEFF';
const MAKER = { username: 'maker', password: 'maker password 1' };
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);
const MAKER_AUTH = basic(MAKER.username, MAKER.password);

/** RFC 3394 with node:crypto: what a vendor's tooling does. */
function wrap(kek: Buffer, key: Buffer): string {
  const algorithm = kek.length === 16 ? 'id-aes128-wrap' : kek.length === 24 ? 'id-aes192-wrap' : 'id-aes256-wrap';
  const cipher = createCipheriv(algorithm, kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([cipher.update(key), cipher.final()]).toString('hex').toUpperCase();
}

type Body = Record<string, unknown>;
interface Result { index: number; ok: boolean; devEUI?: string; uniqueId?: string | null; attached?: string[]; unchanged?: string[]; code?: string; message?: string }

describe('vendor key batches (deed keys import-vendor)', () => {
  let server: DeedServer;
  let nsToken: string;
  const data = tempDir();
  const files = tempDir('deed-vendor-');
  const kek = randomBytes(16);
  const KEK_HEX = kek.toString('hex').toUpperCase();
  const appKey = randomBytes(16);
  const APP_KEY = appKey.toString('hex').toUpperCase();
  const WRAPPED = wrap(kek, appKey);
  const otherKek = randomBytes(32);
  const device: TestDevice = { devEui: DEV_EUI, joinEui: '70B3D57ED0000000', appKey: APP_KEY, macVersion: '1.0.2' };
  /** Every secret used here: none may reach the server's output. */
  const secrets = [KEK_HEX, APP_KEY, otherKek.toString('hex').toUpperCase()];
  let devNonce = 0x100;

  async function api(method: string, path: string, body?: unknown, authorization = ADMIN): Promise<{ status: number; body: Body }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
  }

  /** Writes a batch file and returns its path. */
  function batchFile(name: string, content: unknown): string {
    const path = join(files.path, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }

  const importVendor = (args: string[], input?: string) =>
    runDeed(['keys', 'import-vendor', ...args], { url: server.url, ...(input !== undefined ? { input } : {}) });

  async function rootKeysAvailable(): Promise<unknown> {
    const got = await api('GET', `/api/v1/devices/${DEV_EUI}`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    return got.body['rootKeysAvailable'];
  }

  async function keysAttachedEvents(): Promise<Body[]> {
    const audit = await api('GET', `/api/v1/audit?devEui=${DEV_EUI}`);
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    return (audit.body['events'] as Body[]).filter((e) => e['action'] === 'device.keys_attached');
  }

  /** Sends a JoinReq for the fixture device with a fresh DevNonce. */
  async function sendJoin(): Promise<{ body: Body; devNonce: number }> {
    devNonce += 1;
    const answer = await postBi(server.url, nsToken, joinReq(device, devNonce));
    expect(answer.status).toBe(200);
    return { body: answer.body, devNonce };
  }

  async function expectJoinFailsForLackOfKeys(): Promise<void> {
    const { body } = await sendJoin();
    expect(resultCode(body), JSON.stringify(body)).toBe('JoinReqFailed');
    expect((body['Result'] as { Description?: string }).Description).toMatch(/root keys not available/);
    expect(body['PHYPayload']).toBeUndefined();
  }

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    const maker = runDeed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'], {
      url: server.url, input: `${MAKER.password}\n`,
    });
    expect(maker.code, maker.stderr).toBe(0);
    const peer = await api('POST', '/api/v1/peers', { netId: NET_ID, kekLabel: 'ns-000013', kek: NS_KEK });
    expect(peer.status, JSON.stringify(peer.body)).toBe(201);
    nsToken = peer.body['token'] as string;

    // The provisioner imports the real manifest: it proves ownership of the device but carries no keys.
    const manifest = readFileSync(join(MICROCHIP_FIXTURES, 'tnglora-b-valid.json'));
    const response = await fetch(`${server.url}/api/v1/devices/import?format=microchip-atecc608`, {
      method: 'POST', headers: { authorization: MAKER_AUTH, 'content-type': 'application/json' }, body: manifest,
    });
    const imported = await response.json() as { results: Body[] };
    expect(response.status, JSON.stringify(imported)).toBe(200);
    expect(imported.results).toEqual([expect.objectContaining({ ok: true, devEUI: DEV_EUI })]);
    // Its home network, so that the Network Server may activate it.
    const patched = await api('PATCH', `/api/v1/devices/${DEV_EUI}`, { homeNetId: NET_ID }, MAKER_AUTH);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    files.remove();
  });

  it('lets a device without root keys be imported, and answers its JoinReqs JoinReqFailed "root keys not available"', async () => {
    expect(await rootKeysAvailable()).toEqual({ appKey: false, nwkKey: false });
    await expectJoinFailsForLackOfKeys();
  });

  it('answers unwrap_failed for a batch wrapped under another KEK, and changes nothing', () => {
    const path = batchFile('wrong-kek.json', { kekLabel: 'vendor-2026', devices: [{ uniqueId: UNIQUE_ID, appKey: wrap(otherKek, appKey) }] });
    const run = importVendor([path, '--kek', KEK_HEX]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<Result[]>()).toEqual([{
      index: 0, ok: false, uniqueId: UNIQUE_ID, code: 'unwrap_failed',
      message: 'appKey: unwrapping failed its integrity check: wrong transport KEK, or corrupted data',
    }]);
    expect(run.stderr).toContain('deed: 1 of 1 entries failed (unwrap_failed); see the results');
  });

  it('answers unknown_device for a secure element it does not hold', () => {
    const path = batchFile('unknown.json', { devices: [{ uniqueId: '01238ebe20080bd5ff', appKey: WRAPPED }] });
    const run = importVendor([path, '--kek', KEK_HEX]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<Result[]>()).toEqual([expect.objectContaining({
      index: 0, ok: false, code: 'unknown_device', message: 'no device has the secure element 01238ebe20080bd5ff; import its manifest first',
    })]);
  });

  it('still has no keys after the failed batches', async () => {
    expect(await rootKeysAvailable()).toEqual({ appKey: false, nwkKey: false });
    expect(await keysAttachedEvents()).toEqual([]);
    await expectJoinFailsForLackOfKeys();
  });

  it('refuses accounts other than admin (exit 4, HTTP 403)', () => {
    const path = batchFile('maker.json', { devices: [{ uniqueId: UNIQUE_ID, appKey: WRAPPED }] });
    const run = runDeed(['keys', 'import-vendor', path, '--kek', KEK_HEX], {
      url: server.url, env: { DEED_USERNAME: MAKER.username, DEED_PASSWORD: MAKER.password },
    });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toBe('deed: this needs the admin role; maker is provisioner\n');
    expect(run.stdout).toBe('');
  });

  it('checks everything and changes nothing with --dry-run', async () => {
    const path = batchFile('dry.json', { kekLabel: 'vendor-2026', devices: [{ uniqueId: UNIQUE_ID, appKey: WRAPPED }] });
    const run = importVendor([path, '--kek', KEK_HEX, '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<Result[]>()).toEqual([{
      index: 0, ok: true, devEUI: DEV_EUI, uniqueId: UNIQUE_ID, attached: ['appKey'], replaced: [], unchanged: [],
    }]);
    expect(run.stderr).toBe('would attach keys to 1 devices, 0 unchanged, 0 failed\n');
    expect(await rootKeysAvailable()).toEqual({ appKey: false, nwkKey: false });
  });

  it('attaches the keys by uniqueId; the same JoinReq then gets a JoinAccept that lora-packet verifies', async () => {
    writeFileSync(join(files.path, 'transport.kek'), `${KEK_HEX}\n`);
    const path = batchFile('batch.json', { kekLabel: 'vendor-2026', devices: [{ uniqueId: UNIQUE_ID, appKey: WRAPPED }] });
    const run = importVendor([path, '--kek', `@${join(files.path, 'transport.kek')}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<Result[]>()).toEqual([{
      index: 0, ok: true, devEUI: DEV_EUI, uniqueId: UNIQUE_ID, attached: ['appKey'], replaced: [], unchanged: [],
    }]);
    expect(run.stderr).toBe('attached keys to 1 devices, 0 unchanged, 0 failed\n');
    expect(await rootKeysAvailable()).toEqual({ appKey: true, nwkKey: false });

    const { body, devNonce: nonce } = await sendJoin();
    expect(resultCode(body), JSON.stringify(body)).toBe('Success');
    const accepted = deviceAcceptsJoin(device, nonce, NET_ID, body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    expect(accepted.joinNonce).toBe(1);
    expect(accepted.expectedNetIdMatches).toBe(true);

    const events = await keysAttachedEvents();
    expect(events).toEqual([expect.objectContaining({
      actor: 'admin', devEui: DEV_EUI, outcome: 'success',
      details: { source: 'vendor-batch', transportLabel: 'vendor-2026', uniqueId: UNIQUE_ID, appKeyAttached: true, nwkKeyAttached: false, replaced: false },
    })]);
  });

  it('is idempotent: the same batch again (KEK from standard input) changes nothing and fails nothing', async () => {
    const path = join(files.path, 'batch.json');
    const run = importVendor([path, '--kek', '-'], `${KEK_HEX}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<Result[]>()).toEqual([expect.objectContaining({ ok: true, attached: [], unchanged: ['appKey'] })]);
    expect(run.stderr).toBe('attached keys to 0 devices, 1 unchanged, 0 failed\n');
    expect(await keysAttachedEvents()).toHaveLength(1);
  });

  it('refuses other keys for a device that has some (keys_present), unless --replace', async () => {
    const path = batchFile('other-key.json', { devices: [{ devEui: DEV_EUI, appKey: wrap(kek, randomBytes(16)) }] });
    const run = importVendor([path, '--kek', KEK_HEX]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<Result[]>()).toEqual([expect.objectContaining({ ok: false, devEUI: DEV_EUI, code: 'keys_present' })]);
    expect(run.stderr).toContain('(keys_present)');
    // The device still joins with the keys it has.
    const { body } = await sendJoin();
    expect(resultCode(body), JSON.stringify(body)).toBe('Success');
    expect(await keysAttachedEvents()).toHaveLength(1);

    const replaced = importVendor([path, '--kek', KEK_HEX, '--replace']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.json<Result[]>()).toEqual([expect.objectContaining({ ok: true, attached: ['appKey'], replaced: ['appKey'] })]);
    // The old key no longer opens the door…
    const { body: refused } = await sendJoin();
    expect(resultCode(refused), JSON.stringify(refused)).toBe('MICFailed');
    // …and the vendor's original batch, replaced back, does again.
    const restored = importVendor([join(files.path, 'batch.json'), '--kek', KEK_HEX, '--replace']);
    expect(restored.code, restored.stderr).toBe(0);
    const { body: joined } = await sendJoin();
    expect(resultCode(joined), JSON.stringify(joined)).toBe('Success');
    const events = await keysAttachedEvents();
    expect(events.map((e) => (e['details'] as Body)['replaced'])).toEqual([false, true, true]);
  });

  it('says what is wrong with a file that is not a batch, and with entries of the wrong types', () => {
    const garbage = importVendor([batchFile('garbage.json', 'this is not JSON at all'), '--kek', KEK_HEX]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/^deed: .*garbage\.json: not valid JSON \(truncated, or not JSON at all\)/);
    const full = JSON.stringify({ kekLabel: 'vendor-2026', devices: [{ uniqueId: UNIQUE_ID, appKey: WRAPPED }] });
    const truncated = importVendor([batchFile('truncated.json', full.slice(0, full.length - 20)), '--kek', KEK_HEX]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/truncated\.json: not valid JSON/);
    expect(truncated.stderr).not.toContain(WRAPPED.slice(0, 16));
    const notObject = importVendor([batchFile('array.json', [{ uniqueId: UNIQUE_ID, appKey: WRAPPED }]), '--kek', KEK_HEX]);
    expect(notObject.code).toBe(1);
    expect(notObject.stderr).toMatch(/array\.json: expected a JSON object \{"kekLabel": …, "devices": \[ … \]\}/);
    const notArray = importVendor([batchFile('not-array.json', { devices: { uniqueId: UNIQUE_ID } }), '--kek', KEK_HEX]);
    expect(notArray.code).toBe(1);
    expect(notArray.stderr).toMatch(/"devices" must be an array of entries/);
    const badLabel = importVendor([batchFile('label.json', { kekLabel: 7, devices: [] }), '--kek', KEK_HEX]);
    expect(badLabel.code).toBe(1);
    expect(badLabel.stderr).toBe('deed: kekLabel: expected 1 to 255 printable characters\n');

    const wrongTypes = importVendor([batchFile('types.json', {
      devices: [42, { uniqueId: 1238, appKey: WRAPPED }, { uniqueId: UNIQUE_ID, appKey: 123 }, { uniqueId: UNIQUE_ID, appKey: WRAPPED, nwkKey: true }],
    }), '--kek', KEK_HEX]);
    expect(wrongTypes.code, wrongTypes.stderr).toBe(1);
    const results = wrongTypes.json<Result[]>();
    expect(results.map((r) => [r.index, r.code])).toEqual([[0, 'invalid_entry'], [1, 'invalid_entry'], [2, 'invalid_entry'], [3, 'invalid_entry']]);
    expect(results[2]?.message).toMatch(/^appKey: expected 48 hex digits/);
    expect(results[3]?.message).toMatch(/^nwkKey: expected 48 hex digits/);
  });

  it('takes the KEK as an option only in a valid form (exit 2 otherwise)', () => {
    const path = join(files.path, 'batch.json');
    const short = importVendor([path, '--kek', KEK_HEX.slice(0, 30)]);
    expect(short.code).toBe(2);
    expect(short.stderr).toBe('deed: --kek: expected 32, 48 or 64 hex characters (an AES-128, AES-192 or AES-256 key), got 30\n');
    const missing = importVendor([path]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^deed: give --kek/);
    const noFile = importVendor([join(files.path, 'absent.json'), '--kek', KEK_HEX]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/absent\.json: cannot read it: ENOENT/);
  });

  it('refuses bad requests as a whole over HTTP, with a problem that says why', async () => {
    const post = (body: unknown, authorization = ADMIN) => api('POST', '/api/v1/vendor-keys', body, authorization);
    const cases: [unknown, string][] = [
      ['{"kek": "00", "devices": [', 'the body is not valid JSON (truncated, or not JSON at all)'],
      ['garbage', 'the body is not valid JSON (truncated, or not JSON at all)'],
      [[], 'expected a JSON object {"kek": …, "kekLabel": …, "devices": [ … ]}'],
      [{ kek: KEK_HEX, devices: 'all of them' }, 'devices: expected an array of {"uniqueId" or "devEui", "appKey", "nwkKey"?} entries'],
      [{ kek: 12, devices: [] }, 'kek: expected a hex string, got number (the transport KEK the batch is wrapped under)'],
      [{ kek: KEK_HEX, devices: [], kekLabell: 'x' }, 'unknown field "kekLabell"; expected kek, kekLabel, devices, dryRun, replace'],
    ];
    for (const [body, detail] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body).toMatchObject({ code: 'invalid_input', detail });
    }
    const oversize = Array.from({ length: 10_001 }, (_, i) => ({ devEui: i.toString(16).padStart(16, '0'), appKey: WRAPPED }));
    const tooMany = await post({ kek: KEK_HEX, devices: oversize });
    expect(tooMany.status, JSON.stringify(tooMany.body)).toBe(400);
    expect(tooMany.body['detail']).toBe('devices: at most 10,000 entries per request, got 10,001; send the batch in parts (deed keys import-vendor does so by itself)');
    expect(tooMany.body['field']).toBe('devices');

    expect((await post({ kek: KEK_HEX, devices: [] }, MAKER_AUTH)).status).toBe(403);
    expect((await post({ kek: KEK_HEX, devices: [] }, 'Basic bm9ib2R5Om5vdGhpbmc=')).status).toBe(401);
    const empty = await post({ kek: KEK_HEX, devices: [] });
    expect(empty).toEqual({ status: 200, body: { results: [], summary: { total: 0, attached: 0, unchanged: 0, failed: 0, dryRun: false } } });
  });

  it('sends a file of more than 10,000 entries in parts, with progress on stderr and indexes into the file', async () => {
    const devices: Body[] = Array.from({ length: 12_000 }, (_, i) => ({
      uniqueId: `ee${i.toString(16).padStart(16, '0')}`, appKey: WRAPPED,
    }));
    devices[11_999] = { uniqueId: UNIQUE_ID, appKey: WRAPPED };
    const path = batchFile('big.json', { kekLabel: 'vendor-2026', devices });
    const run = await runDeedAsync(['keys', 'import-vendor', path, '--kek', KEK_HEX], { url: server.url });
    expect(run.code, run.stderr.slice(-500)).toBe(1);
    const results = run.json<Result[]>();
    expect(results).toHaveLength(12_000);
    expect(results.map((r) => r.index)).toEqual(devices.map((_, i) => i));
    expect(results.filter((r) => r.code === 'unknown_device')).toHaveLength(11_999);
    expect(results[11_999]).toMatchObject({ ok: true, devEUI: DEV_EUI, unchanged: ['appKey'] });
    expect(run.stderr).toContain('vendor keys: 5000 of 12000 entries');
    expect(run.stderr).toContain('vendor keys: 12000 of 12000 entries\n');
    expect(run.stderr).toContain('deed: 11999 of 12000 entries failed (unknown_device); see the results');
  });

  it('never logs the transport KEK or a key', () => {
    const log = server.output().toUpperCase();
    for (const secret of [...secrets, WRAPPED]) expect(log).not.toContain(secret);
  });
});
