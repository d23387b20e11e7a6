import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, DEED_BIN, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import {
  appSKeyReq, deviceAcceptsJoin, joinReq, postBi, randomDevice, resultCode, unwrapKey, type MacVersion, type TestDevice,
} from '../support/network-server.js';

/**
 * `deed keys rotate` against a real data directory: it re-encrypts root keys, peer KEKs and
 * session keys under a new master key while the server is stopped, retires the old key, and can
 * be killed at any point and run again. After each rotation the server must still activate
 * devices (root keys), wrap keys for its peers (KEKs) and serve AppSKeyReq for sessions from
 * before the rotation (session keys). And no root key is ever in the database file in clear.
 */

const NET_ID = '000013';
const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const AS_KEK = 'F0E0D0C0B0A090807060504030201000F0E0D0C0B0A09080';
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
/** The many-devices part stops adding devices after this long (a slow machine gets fewer). */
const ADD_BUDGET_MS = 15_000;
const MANY_DEVICES = 2000;

type Body = Record<string, unknown>;

interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `deed keys rotate` on a data directory; `onStderr` may kill it. */
function rotate(
  dataDir: string, args: readonly string[] = [], onStderr?: (text: string, kill: () => void) => void,
): Promise<RunResult> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    XDG_CONFIG_HOME: pathJoin(tmpdir(), 'deed-test-no-config'),
    DEED_DATA_DIR: dataDir,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEED_BIN, 'keys', 'rotate', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, kill);
    });
    const timer = setTimeout(kill, 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

interface KeyRingFile { active: string; keys: { id: string }[] }
const readRing = (dataDir: string) => JSON.parse(readFileSync(pathJoin(dataDir, 'master-keys.json'), 'utf8')) as KeyRingFile;

/** Every sealed value in the database, by the master key id it is sealed under. */
function sealedByKeyId(dataDir: string): Map<string, number> {
  const db = new Database(pathJoin(dataDir, 'deed.db'), { readonly: true, fileMustExist: true });
  try {
    const counts = new Map<string, number>();
    const columns: [string, string[]][] = [
      ['devices', ['app_key', 'nwk_key', 'owner_token']],
      ['session_keys', ['nwk_s_key', 'f_nwk_s_int_key', 's_nwk_s_int_key', 'nwk_s_enc_key', 'app_s_key']],
      ['peers', ['kek']],
    ];
    for (const [table, names] of columns) {
      for (const row of db.prepare(`select ${names.join(', ')} from ${table}`).all() as Record<string, string | null>[]) {
        for (const name of names) {
          const value = row[name];
          if (value === null || value === undefined) continue;
          const id = /^v1\.([0-9a-f]{16})\./.exec(value)?.[1] ?? `unrecognised:${value.slice(0, 8)}`;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
    }
    return counts;
  } finally {
    db.close();
  }
}

/**
 * Which of `keys` (hex) appear in `bytes` as raw bytes or as hex text (either case), searched at
 * every offset in one pass each.
 */
function keysIn(bytes: Buffer, keys: readonly string[]): string[] {
  const found = new Set<string>();
  const wanted = new Set(keys.map((k) => k.toUpperCase()));
  const byPrefix = new Map<number, string[]>();
  for (const key of wanted) {
    const prefix = Buffer.from(key, 'hex').readUInt32BE(0);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), key]);
  }
  for (let i = 0; i + 16 <= bytes.length; i++) {
    const candidates = byPrefix.get(bytes.readUInt32BE(i));
    if (candidates === undefined) continue;
    const here = bytes.toString('hex', i, i + 16).toUpperCase();
    if (candidates.includes(here)) found.add(`${here} (raw bytes at ${i})`);
  }
  const text = bytes.toString('latin1');
  for (const match of text.matchAll(/[0-9A-Fa-f]{32,}/g)) {
    const run = match[0].toUpperCase();
    for (let i = 0; i + 32 <= run.length; i++) {
      const window = run.slice(i, i + 32);
      if (wanted.has(window)) found.add(`${window} (hex at ${(match.index ?? 0) + i})`);
    }
  }
  return [...found];
}

describe('deed keys rotate, end to end', () => {
  const data = tempDir();
  let server: DeedServer | undefined;
  let nsToken = '';
  let asToken = '';
  const devices: TestDevice[] = [];
  /** Sessions from before a rotation: device, SessionKeyID, AppSKey. */
  const sessions: { device: TestDevice; sessionKeyId: string; appSKey: string }[] = [];
  const joinNonces = new Map<string, number>();
  const keyIdsSeen: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
    if (server === undefined) throw new Error('no server');
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: BASIC, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
  }

  async function addDevice(macVersion: MacVersion): Promise<TestDevice> {
    const d = randomDevice(macVersion);
    const created = await api('POST', '/api/v1/devices', {
      devEui: d.devEui, joinEui: d.joinEui, appKey: d.appKey, ...(d.nwkKey !== undefined ? { nwkKey: d.nwkKey } : {}),
      macVersion, homeNetId: NET_ID, asId: 'as-1',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    devices.push(d);
    return d;
  }

  /** A join that must succeed with the next JoinNonce, its keys checked like a device and its NS/AS would. */
  async function join(device: TestDevice, devNonce: number): Promise<void> {
    if (server === undefined) throw new Error('no server');
    const answer = await postBi(server.url, nsToken, joinReq(device, devNonce));
    expect(resultCode(answer.body), JSON.stringify(answer.body)).toBe('Success');
    const accepted = deviceAcceptsJoin(device, devNonce, NET_ID, answer.body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    const expected = (joinNonces.get(device.devEui) ?? 0) + 1;
    expect(accepted.joinNonce).toBe(expected);
    joinNonces.set(device.devEui, expected);
    const nsKey = device.macVersion === '1.1' ? 'FNwkSIntKey' : 'NwkSKey';
    expect(unwrapKey(NS_KEK, (answer.body[nsKey] as { AESKey: string }).AESKey)).toBe(accepted.keys[nsKey]);
    const appSKey = unwrapKey(AS_KEK, (answer.body['AppSKey'] as { AESKey: string }).AESKey);
    expect(appSKey).toBe(accepted.keys['AppSKey']);
    sessions.push({ device, sessionKeyId: answer.body['SessionKeyID'] as string, appSKey });
  }

  /** Every session so far can still be fetched by the AS, with the same AppSKey. */
  async function expectSessionsServed(): Promise<void> {
    if (server === undefined) throw new Error('no server');
    for (const { device, sessionKeyId, appSKey } of sessions) {
      const fetched = await postBi(server.url, asToken, appSKeyReq(device, sessionKeyId, 'as-1'));
      expect(resultCode(fetched.body), JSON.stringify(fetched.body)).toBe('Success');
      expect(unwrapKey(AS_KEK, (fetched.body['AppSKey'] as { AESKey: string }).AESKey)).toBe(appSKey);
    }
  }

  afterAll(async () => {
    await server?.kill();
    data.remove();
  });

  it('re-encrypts root keys, peer KEKs and session keys under a new master key and retires the old one', async () => {
    server = await startDeed({ dataDir: data.path });
    const ns = await api('POST', '/api/v1/peers', { netId: NET_ID, kekLabel: 'ns-kek', kek: NS_KEK });
    const as = await api('POST', '/api/v1/peers', { asId: 'as-1', kekLabel: 'as-kek', kek: AS_KEK });
    expect([ns.status, as.status]).toEqual([201, 201]);
    nsToken = ns.body['token'] as string;
    asToken = as.body['token'] as string;
    for (const v of ['1.0.2', '1.0.3', '1.0.4', '1.1', '1.1'] as const) await addDevice(v);
    for (const d of devices.slice(0, 4)) await join(d, 1);
    await server.stop();

    const before = readRing(data.path);
    expect(before.keys).toHaveLength(1);
    keyIdsSeen.push(before.active);
    const sealedBefore = sealedByKeyId(data.path);
    expect([...sealedBefore.keys()]).toEqual([before.active]);

    const run = await rotate(data.path);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { activeKeyId: string; addedKey: boolean; examined: number; resealed: number; retired: string[] };
    expect(result.activeKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(result.activeKeyId).not.toBe(before.active);
    expect(result.addedKey).toBe(true);
    expect(result.retired).toEqual([before.active]);
    // 5 devices (1.1 ones with two root keys) with a generated owner token each, 2 KEKs,
    // 4 sessions of 2 (1.0.x) or 4 (1.1) NS keys plus the AppSKey.
    const total = [...sealedBefore.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(7 + 5 + 2 + (3 * 2 + 1 * 4));
    expect(result.examined).toBe(total);
    expect(result.resealed).toBe(total);
    expect(run.stdout + run.stderr).not.toContain(NS_KEK);

    const after = readRing(data.path);
    expect(after.active).toBe(result.activeKeyId);
    expect(after.keys.map((k) => k.id)).toEqual([result.activeKeyId]);
    expect(statSync(pathJoin(data.path, 'master-keys.json')).mode & 0o777).toBe(0o600);
    expect(sealedByKeyId(data.path)).toEqual(new Map([[result.activeKeyId, total]]));
    keyIdsSeen.push(result.activeKeyId);

    server = await startDeed({ dataDir: data.path });
    await expectSessionsServed();
    for (const d of devices.slice(0, 4)) await join(d, 2); // JoinNonce 2, with the re-encrypted root keys and KEKs
    await join(devices[4] as TestDevice, 1);
    // The DevNonce state came through: a replay is still refused.
    const replay = await postBi(server.url, nsToken, joinReq(devices[2] as TestDevice, 2));
    expect(resultCode(replay.body)).toBe('JoinReqFailed');
  });

  it('survives being killed mid-rotation: the second run resumes and finishes', async () => {
    if (server === undefined) throw new Error('the first test did not leave a server running');
    // Many devices, added through the REST API in parallel.
    const started = Date.now();
    const versions: MacVersion[] = ['1.0.3', '1.0.4', '1.1'];
    let added = 0;
    while (added < MANY_DEVICES && Date.now() - started < ADD_BUDGET_MS) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => addDevice(versions[(added + i) % 3] ?? '1.0.3')));
      added += 25;
    }
    console.info(`key-rotation: added ${added} devices in ${Date.now() - started} ms`);
    expect(added, 'enough devices for several batches of 50').toBeGreaterThanOrEqual(200);
    const many = devices.slice(5);
    for (const d of many.slice(0, 3)) await join(d, 7);
    await server.stop();

    const before = readRing(data.path);
    expect(before.keys).toHaveLength(1);
    const total = [...sealedByKeyId(data.path).values()].reduce((a, b) => a + b, 0);

    // Kill it as soon as it reports progress (after its first batch of 50 was committed).
    let progressSeen = '';
    const killed = await rotate(data.path, ['--batch-size', '50'], (stderr, kill) => {
      if (/examined \d+/.test(stderr)) {
        progressSeen = stderr;
        kill();
      }
    });
    expect(killed.signal, `rotate was not killed: exit ${killed.code}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    expect(progressSeen).toMatch(/examined \d+, re-encrypted \d+/);

    const interrupted = readRing(data.path);
    expect(interrupted.keys, 'both keys stay in the ring until the rotation finishes').toHaveLength(2);
    expect(interrupted.active).not.toBe(before.active);
    const mixed = sealedByKeyId(data.path);
    expect(mixed.get(interrupted.active) ?? 0, 'the first batch was committed under the new key').toBeGreaterThanOrEqual(50);
    console.info(`key-rotation: killed after "${progressSeen.trim().split('\r').at(-1)}"; ` +
      `${mixed.get(before.active) ?? 0} of ${total} values still under the old key`);

    const resumed = await rotate(data.path, ['--batch-size', '50']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { activeKeyId: string; addedKey: boolean; examined: number; resealed: number; retired: string[] };
    expect(result.addedKey).toBe(false);
    expect(result.activeKeyId).toBe(interrupted.active);
    expect(result.retired).toEqual([before.active]);
    expect(result.examined).toBe(total);
    expect(result.resealed).toBe(mixed.get(before.active) ?? 0);
    expect(readRing(data.path).keys.map((k) => k.id)).toEqual([interrupted.active]);
    expect(sealedByKeyId(data.path)).toEqual(new Map([[interrupted.active, total]]));
    expect(keyIdsSeen).not.toContain(result.activeKeyId);
    keyIdsSeen.push(result.activeKeyId);

    // Everything still works: sessions from before both rotations, joins of old and new devices.
    server = await startDeed({ dataDir: data.path });
    await expectSessionsServed();
    await join(devices[0] as TestDevice, 3);
    await join(devices[3] as TestDevice, 3); // a 1.1 device: NwkKey and AppKey both re-encrypted twice
    for (const d of many.slice(0, 3)) await join(d, 8);
    for (const d of many.slice(-3)) await join(d, 1);
    await server.stop();
  });

  it('keeps no root key, KEK or session key in the database files in the clear', () => {
    const dbFiles = readdirSync(data.path).filter((name) => name.startsWith('deed.db'));
    expect(dbFiles).toContain('deed.db');
    const secrets = [
      ...devices.flatMap((d) => [d.appKey, ...(d.nwkKey !== undefined ? [d.nwkKey] : [])]),
      NS_KEK, AS_KEK, ...sessions.map((s) => s.appSKey),
    ];
    expect(secrets.length).toBeGreaterThan(200);
    for (const name of dbFiles) {
      const bytes = readFileSync(pathJoin(data.path, name));
      expect(keysIn(bytes, secrets), `${name} (${bytes.length} bytes)`).toEqual([]);
      // Base64 of a sample of root keys, too.
      const text = bytes.toString('latin1');
      for (const d of devices.slice(0, 50)) expect(text).not.toContain(Buffer.from(d.appKey, 'hex').toString('base64').slice(0, 21));
    }
    // The search itself finds what it looks for.
    const probe = Buffer.concat([Buffer.from('xx'), Buffer.from(devices[7]?.appKey ?? '', 'hex'), Buffer.from(`..${devices[9]?.appKey.toLowerCase() ?? ''}..`)]);
    expect(keysIn(probe, secrets)).toHaveLength(2);
  });
});
