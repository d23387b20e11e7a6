import { chmodSync, statSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import {
  appSKeyReq, deviceAcceptsJoin, joinReq, postBi, randomDevice, resultCode, unwrapKey, type TestDevice,
} from '../support/network-server.js';

/**
 * What must survive a restart of `deed serve` on the same data directory, whether it was asked
 * to stop (SIGTERM) or killed (SIGKILL): DevNonces already used, the JoinNonce counter, stored
 * session keys and peers; and the first start's generated admin password.
 */

const NET_ID = '000013';
const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const AS_KEK = 'F0E0D0C0B0A090807060504030201000F0E0D0C0B0A09080';
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

type Body = Record<string, unknown>;

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: BASIC, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
}

describe('restarting deed serve on the same data directory', () => {
  const data = tempDir();
  let server: DeedServer;
  let nsToken: string;
  let asToken: string;
  const devices: TestDevice[] = [randomDevice('1.0.3'), randomDevice('1.0.4'), randomDevice('1.1')];
  /** Per device: the DevNonces accepted so far, its last JoinNonce, and its sessions' AppSKeys. */
  const state = new Map<string, { devNonces: number[]; joinNonce: number; sessions: Map<string, string> }>();

  async function join(device: TestDevice, devNonce: number): Promise<void> {
    const answer = await postBi(server.url, nsToken, joinReq(device, devNonce));
    expect(resultCode(answer.body), JSON.stringify(answer.body)).toBe('Success');
    const s = state.get(device.devEui) ?? { devNonces: [], joinNonce: 0, sessions: new Map<string, string>() };
    const accepted = deviceAcceptsJoin(device, devNonce, NET_ID, answer.body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    expect(accepted.joinNonce, `JoinNonce of ${device.macVersion} device`).toBe(s.joinNonce + 1);
    const appSKey = unwrapKey(AS_KEK, (answer.body['AppSKey'] as { AESKey: string }).AESKey);
    expect(appSKey).toBe(accepted.keys['AppSKey']);
    s.devNonces.push(devNonce);
    s.joinNonce = accepted.joinNonce;
    s.sessions.set(answer.body['SessionKeyID'] as string, appSKey);
    state.set(device.devEui, s);
  }

  /** Everything remembered so far still holds on the running server. */
  async function expectStateKept(): Promise<void> {
    for (const device of devices) {
      const s = state.get(device.devEui);
      if (s === undefined) throw new Error('device never joined');
      const got = await api(server.url, 'GET', `/api/v1/devices/${device.devEui}?nonces=true`);
      expect(got.status).toBe(200);
      const nonces = got.body['nonces'] as { nextJoinNonce: number; lastDevNonce: number | null };
      expect(nonces.nextJoinNonce).toBe(s.joinNonce + 1);
      expect(nonces.lastDevNonce).toBe(s.devNonces.at(-1));
      for (const used of s.devNonces) {
        const replay = await postBi(server.url, nsToken, joinReq(device, used));
        expect(resultCode(replay.body), `DevNonce ${used} of the ${device.macVersion} device replayed after a restart`).toBe('JoinReqFailed');
      }
      for (const [sessionKeyId, appSKey] of s.sessions) {
        const fetched = await postBi(server.url, asToken, appSKeyReq(device, sessionKeyId, 'as-1'));
        expect(resultCode(fetched.body), JSON.stringify(fetched.body)).toBe('Success');
        expect(unwrapKey(AS_KEK, (fetched.body['AppSKey'] as { AESKey: string }).AESKey)).toBe(appSKey);
      }
    }
  }

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    const ns = await api(server.url, 'POST', '/api/v1/peers', { netId: NET_ID, kekLabel: 'ns-kek', kek: NS_KEK });
    const as = await api(server.url, 'POST', '/api/v1/peers', { asId: 'as-1', kekLabel: 'as-kek', kek: AS_KEK });
    expect([ns.status, as.status]).toEqual([201, 201]);
    nsToken = ns.body['token'] as string;
    asToken = as.body['token'] as string;
    for (const d of devices) {
      const created = await api(server.url, 'POST', '/api/v1/devices', {
        devEui: d.devEui, joinEui: d.joinEui, appKey: d.appKey, ...(d.nwkKey !== undefined ? { nwkKey: d.nwkKey } : {}),
        macVersion: d.macVersion, homeNetId: NET_ID, asId: 'as-1',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.kill();
    data.remove();
  });

  it('keeps used DevNonces, the JoinNonce and session keys over a SIGTERM restart', async () => {
    for (const d of devices) await join(d, 100);
    await server.stop();
    expect(server.process.exitCode, server.output()).toBe(0);

    server = await startDeed({ dataDir: data.path });
    await expectStateKept();
    for (const d of devices) await join(d, 101); // JoinNonce 2
    for (const d of devices) expect(state.get(d.devEui)?.joinNonce).toBe(2);
  });

  it('keeps them over a SIGKILL right after a join was answered', async () => {
    for (const d of devices) await join(d, 102); // JoinNonce 3, answered just before the kill
    await server.kill();
    expect(server.process.signalCode).toBe('SIGKILL');

    server = await startDeed({ dataDir: data.path });
    await expectStateKept();
    for (const d of devices) await join(d, 200);
    for (const d of devices) expect(state.get(d.devEui)?.joinNonce).toBe(4);
  });

  it('keeps the master key ring file private (mode 0600) and refuses to start when it is not', async () => {
    const ring = pathJoin(data.path, 'master-keys.json');
    expect(statSync(ring).mode & 0o777).toBe(0o600);
    expect(statSync(data.path).mode & 0o077).toBe(0);
    await server.stop();
    chmodSync(ring, 0o644);
    try {
      const failed = await startDeed({ dataDir: data.path }).then(
        async (s) => { await s.kill(); return null; },
        (err: unknown) => err as Error,
      );
      expect(failed, 'deed serve started with a world-readable master key file').not.toBeNull();
      expect(failed?.message).toContain('master-keys.json');
      expect(failed?.message).toMatch(/0644|chmod 600/);
    } finally {
      chmodSync(ring, 0o600);
    }
    server = await startDeed({ dataDir: data.path });
    await expectStateKept();
  });
});

describe('the generated admin password', () => {
  const data = tempDir();
  afterAll(() => data.remove());

  it('is printed once on the first start, works, and is not printed again', async () => {
    // Empty counts as unset: the first start generates the password.
    const first = await startDeed({ dataDir: data.path, env: { DEED_ADMIN_PASSWORD: '' } });
    let password: string;
    try {
      const output = first.output();
      const match = /Created the account "admin" with the password (\S+)/.exec(output);
      expect(match, output).not.toBeNull();
      password = match?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(output.split(password).length - 1, 'times the password appears in the output').toBe(1);

      const list = runDeed(['device', 'list'], { url: first.url, env: { DEED_PASSWORD: password } });
      expect(list.code, list.stderr).toBe(0);
      expect(list.json<{ devices: unknown[] }>().devices).toEqual([]);
      const wrong = runDeed(['device', 'list'], { url: first.url }); // ADMIN_PASSWORD is not it
      expect(wrong.code).toBe(4);
      expect(first.output().split(password).length - 1).toBe(1);
      expect(statSync(pathJoin(data.path, 'master-keys.json')).mode & 0o777).toBe(0o600);
    } finally {
      await first.stop();
    }

    const second = await startDeed({ dataDir: data.path, env: { DEED_ADMIN_PASSWORD: '' } });
    try {
      expect(second.output()).not.toContain(password);
      expect(second.output()).not.toMatch(/with the password/);
      const list = runDeed(['device', 'list'], { url: second.url, env: { DEED_PASSWORD: password } });
      expect(list.code, list.stderr).toBe(0);
    } finally {
      await second.stop();
    }

    // DEED_ADMIN_PASSWORD only seeds the first admin: it does not replace the password later.
    const third = await startDeed({ dataDir: data.path });
    try {
      expect(third.output()).not.toMatch(/Created the account/);
      expect(runDeed(['device', 'list'], { url: third.url }).code).toBe(4);
      expect(runDeed(['device', 'list'], { url: third.url, env: { DEED_PASSWORD: password } }).code).toBe(0);
    } finally {
      await third.stop();
    }
  });
});
