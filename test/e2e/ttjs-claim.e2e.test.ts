import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type CertificateFiles, type TestPki } from '../support/certificates.js';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { freePort } from '../support/free-port.js';
import { appSKeyReq, deviceAcceptsJoin, joinReq, postBi, randomDevice, unwrapKey, type TestDevice } from '../support/network-server.js';

/**
 * The Things Join Server claim API v2 (spec/ttjs-claim-api.md), exchange by exchange, as The
 * Things Stack's claiming client sees it: real `deed serve`, devices imported by a maker with the
 * CLI, claim clients registered with `deed peer add --as-id … --application …`, requests made
 * with fetch (bearer tokens) and node:https (TLS client certificates from an openssl PKI).
 * Statuses and message texts are compared exactly: the client interprets them.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS;
const TOKEN_A = 'tts-a-claim-client-token-0001';
const TOKEN_B = 'tts-b-claim-client-token-0002';
const TOKEN_PLAIN_AS = 'plain-as-peer-token-00000003';
const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const CLAIM_KEK = 'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF';

const msg = (message: string) => JSON.stringify({ message });
const FAILED = msg('claim failed with given owner token');
const INVALID = msg('Invalid request');
const BAD_DEV_EUI = msg('DevEUI not found or is invalid');
const NOT_PROVISIONED = msg('Device not provisioned');
const NOT_CLAIMED = msg('Device not claimed');

interface Answer { readonly status: number; readonly text: string; readonly headers: Headers }
interface AuditEntry { action: string; actor: string; details: { reason?: string; via?: string } }

/** The outcome of one HTTPS request with node's client: an answer, or how the connection ended. */
type TlsOutcome = { readonly ok: true; readonly status: number; readonly text: string } | { readonly ok: false; readonly error: string };

function tlsRequest(url: string, method: string, o: { ca: Buffer; client?: CertificateFiles; token?: string; body?: unknown }): Promise<TlsOutcome> {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve) => {
    const req = httpsRequest(url, {
      method,
      agent: false,
      ca: o.ca,
      ...(o.client !== undefined ? { cert: o.client.certPem(), key: o.client.keyPem() } : {}),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}),
      },
      timeout: 10_000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ ok: false, error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
    req.end(body);
  });
}

describe('The Things Join Server claim API v2, end to end', () => {
  let server: DeedServer;
  let pki: TestPki;
  let httpsUrl: string;
  let nsToken = '';
  const data = tempDir();
  const files = tempDir('deed-files-');
  const devices: TestDevice[] = Array.from({ length: 40 }, () => randomDevice('1.0.3'));
  const codes = new Map<string, string>();
  let handedOut = 0;

  /** A fresh device of the maker's inventory (unclaimed), with its code. */
  const fresh = (): { device: TestDevice; code: string; devEui: string } => {
    const device = devices[handedOut++];
    if (device === undefined) throw new Error('out of test devices: import more');
    return { device, devEui: device.devEui, code: codes.get(device.devEui) ?? '' };
  };
  const as = (who: Who, args: string[]): DeedRun => runDeed(args, { env: { DEED_URL: server.url, DEED_USERNAME: who, DEED_PASSWORD: PASSWORDS[who] } });
  const ok = (run: DeedRun): DeedRun => {
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
    return run;
  };
  /** One request of the claim API over plain HTTP with fetch; `token: null` sends no credentials. */
  const ttjs = async (method: string, path: string, token: string | null, body?: unknown, raw?: string): Promise<Answer> => {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };
  const claim = (token: string | null, devEui: string, body: Record<string, unknown>) => ttjs('PUT', `/devices/${devEui}/claim`, token, body);
  const status = (token: string | null, devEui: string) => ttjs('GET', `/devices/${devEui}/claim`, token);
  const unclaim = (token: string | null, devEui: string) => ttjs('DELETE', `/devices/${devEui}/claim`, token);
  const expectAnswer = (answer: Answer, code: number, text: string) => {
    expect({ status: answer.status, text: answer.text }).toEqual({ status: code, text });
    if (text !== '') expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  };
  const audit = (devEui: string): AuditEntry[] => ok(runDeed(['audit', '--dev-eui', devEui], { url: server.url })).json<AuditEntry[]>();
  /** The whole log's events about a DevEUI, also one that names no device (admin API). */
  const auditOfUnknown = async (devEui: string): Promise<AuditEntry[]> => {
    const response = await fetch(`${server.url}/api/v1/audit?devEui=${devEui}`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { events: AuditEntry[] }).events;
  };
  const holderOf = (devEui: string): string | null =>
    ok(runDeed(['get', devEui], { url: server.url })).json<{ applicationId: string | null }>().applicationId;

  beforeAll(async () => {
    pki = createTestPki();
    const httpsPort = await freePort();
    server = await startDeed({
      dataDir: data.path,
      env: {
        DEED_HTTPS_PORT: String(httpsPort), DEED_TLS_CERT: pki.server.cert, DEED_TLS_KEY: pki.server.key, DEED_TLS_CLIENT_CA: pki.ca.cert,
        // This file makes many deliberate failures from one address and two clients; the device
        // threshold keeps its default (5), which the rate-limit test relies on.
        DEED_CLAIM_MAX_FAILURES_ACCOUNT: '10000', DEED_CLAIM_MAX_FAILURES_ADDRESS: '100000',
      },
    });
    httpsUrl = `https://localhost:${httpsPort}`;
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      ok(runDeed(['accounts', 'add', '--username', who, '--role', role, '--password-stdin'], { url: server.url, input: PASSWORDS[who] }));
    }
    const csv = join(files.path, 'inventory.csv');
    writeFileSync(csv, [
      'dev_eui,join_eui,app_key,lorawan_version,claim_authentication_code',
      ...devices.map((d, i) => `${d.devEui},${d.joinEui},${d.appKey},1.0.3,C05E${String(i).padStart(4, '0')}`),
    ].join('\n'));
    for (const row of ok(as('maker', ['import', '-f', 'csv', csv])).json<{ devEUI: string; ownerToken: string }[]>()) codes.set(row.devEUI, row.ownerToken);
    expect(codes.size).toBe(devices.length);
    ok(as('olivia', ['applications', 'add', 'greenhouse', '--net-id', '000013']));
    ok(as('olivia', ['applications', 'add', 'orchard', '--net-id', '000013']));
    ok(as('oscar', ['applications', 'add', 'barn', '--net-id', '000042']));

    const admin = (args: string[]) => ok(runDeed(['peer', 'add', ...args], { url: server.url }));
    admin(['--as-id', 'tts-a.example.com', '--token', TOKEN_A, '--application', 'greenhouse']);
    admin(['--as-id', 'tts-b.example.com', '--token', TOKEN_B, '--application', 'barn']);
    admin(['--as-id', 'tts-cert.example.com', '--cert', pki.client.cert, '--application', 'orchard']);
    admin(['--as-id', 'tts-untrusted.example.com', '--cert-fingerprint', pki.untrustedClient.fingerprint, '--application', 'orchard']);
    admin(['--as-id', 'plain-as.example.com', '--token', TOKEN_PLAIN_AS]);
    nsToken = admin(['--net-id', '000013', '--kek-label', 'ns-000013', '--kek', NS_KEK]).json<{ token: string }>().token;
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    files.remove();
    pki?.remove();
  });

  it('registers claim clients with `deed peer add --application`, only AS peers and only into an existing application', () => {
    const shown = ok(runDeed(['peer', 'get', 'as:tts-a.example.com'], { url: server.url })).json<Record<string, unknown>>();
    expect(shown).toMatchObject({ kind: 'as', asId: 'tts-a.example.com', applicationId: 'greenhouse', authentication: { token: true, certFingerprint: null } });
    const byCert = ok(runDeed(['peer', 'get', 'as:tts-cert.example.com'], { url: server.url })).json<Record<string, unknown>>();
    expect(byCert).toMatchObject({ applicationId: 'orchard', authentication: { token: false, certFingerprint: pki.client.fingerprint } });
    expect(ok(runDeed(['peer', 'get', 'ns:000013'], { url: server.url })).json<Record<string, unknown>>()['applicationId']).toBeNull();

    const missing = runDeed(['peer', 'add', '--as-id', 'tts-x.example.com', '--token', 'tts-x-claim-client-token', '--application', 'no-such-app'], { url: server.url });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('there is no application no-such-app');
    const ns = runDeed(['peer', 'add', '--net-id', '000099', '--application', 'greenhouse'], { url: server.url });
    expect(ns.code).not.toBe(0);
    expect(ns.stderr).toContain('only an Application Server peer');
    expect(runDeed(['peer', 'get', 'as:tts-x.example.com'], { url: server.url }).code).not.toBe(0);
  });

  it('claims (201, empty body) and answers the status in the exact shape, homeNSID omitted when unset', async () => {
    const { devEui, code } = fresh();
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', asID: '', lock: true, regenerateOwnerToken: false }), 201, '');
    expectAnswer(await status(TOKEN_A, devEui), 200, '{"homeNetID":"000013","locked":true}');
    expect(holderOf(devEui)).toBe('greenhouse');

    // The holder claims again: settings only (no token needed), here with a home NSID, lower-case DevEUI.
    expectAnswer(await claim(TOKEN_A, devEui.toLowerCase(), { ownerToken: '', homeNetID: '000013', homeNSID: '1122334455667788', asID: 'as.example.com', lock: false }), 201, '');
    expectAnswer(await status(TOKEN_A, devEui.toLowerCase()), 200, '{"homeNetID":"000013","homeNSID":"1122334455667788","locked":false}');
    const view = ok(runDeed(['get', devEui], { url: server.url })).json<Record<string, unknown>>();
    expect(view).toMatchObject({ applicationId: 'greenhouse', homeNetId: '000013', asId: 'as.example.com' });
  });

  it('refuses a wrong, empty or missing owner token, and one outside its validity window, with the exact 403', async () => {
    const { devEui, code } = fresh();
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: 'WRONG123', homeNetID: '000013', asID: '' }), 403, FAILED);
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: '', homeNetID: '000013', asID: '' }), 403, FAILED);
    expectAnswer(await claim(TOKEN_A, devEui, { homeNetID: '000013' }), 403, FAILED);

    const later = fresh();
    ok(as('maker', ['token', later.devEui, '--valid-from', '2099-01-01T00:00:00Z']));
    expectAnswer(await claim(TOKEN_A, later.devEui, { ownerToken: later.code, homeNetID: '000013', asID: '' }), 403, FAILED);
    expect(holderOf(later.devEui)).toBeNull();

    // The right code still works (three failures are below the device threshold).
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', asID: '' }), 201, '');
  });

  it('answers 404 Device not provisioned for an unknown DevEUI, and Device not claimed for an unclaimed one', async () => {
    const unknown = randomDevice('1.0.3').devEui;
    expectAnswer(await claim(TOKEN_A, unknown, { ownerToken: 'C05E0000', homeNetID: '000013', asID: '' }), 404, NOT_PROVISIONED);
    expectAnswer(await status(TOKEN_A, unknown), 404, NOT_PROVISIONED);
    expectAnswer(await unclaim(TOKEN_A, unknown), 404, NOT_PROVISIONED);
    const { devEui } = fresh();
    expectAnswer(await status(TOKEN_A, devEui), 404, NOT_CLAIMED);
    expectAnswer(await unclaim(TOKEN_A, devEui), 404, NOT_CLAIMED);
  });

  it('keeps a locked device from other clients, and lets a client take an unlocked one with the code', async () => {
    const locked = fresh();
    expectAnswer(await claim(TOKEN_A, locked.devEui, { ownerToken: locked.code, homeNetID: '000013', asID: '', lock: true }), 201, '');
    expectAnswer(await claim(TOKEN_B, locked.devEui, { ownerToken: locked.code, homeNetID: '000042', asID: '', lock: true }), 403, msg('Client not allowed to claim'));
    expect(holderOf(locked.devEui)).toBe('greenhouse');

    const open = fresh();
    expectAnswer(await claim(TOKEN_A, open.devEui, { ownerToken: open.code, homeNetID: '000013', asID: '', lock: false }), 201, '');
    expectAnswer(await claim(TOKEN_B, open.devEui, { ownerToken: open.code, homeNetID: '000042', asID: '', lock: false }), 201, '');
    expect(holderOf(open.devEui)).toBe('barn');
    expectAnswer(await status(TOKEN_B, open.devEui), 200, '{"homeNetID":"000042","locked":false}');
  });

  it('refuses status and unclaim to a client that does not hold the device, with the exact 403 texts', async () => {
    const { devEui, code } = fresh();
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', asID: '' }), 201, '');
    expectAnswer(await status(TOKEN_B, devEui), 403, msg('Client not allowed to get status'));
    expectAnswer(await unclaim(TOKEN_B, devEui), 403, msg('Client not allowed to unclaim'));
    expect(holderOf(devEui)).toBe('greenhouse');

    // The holder unclaims (200); the device is unclaimed afterwards.
    expectAnswer(await unclaim(TOKEN_A, devEui), 200, '');
    expect(holderOf(devEui)).toBeNull();
    expectAnswer(await status(TOKEN_A, devEui), 404, NOT_CLAIMED);
  });

  it('batch-unclaims: 400 with a message per failed DevEUI, and 204 when all succeed', async () => {
    const [held1, held2, theirs, notClaimed, all1, all2] = [fresh(), fresh(), fresh(), fresh(), fresh(), fresh()];
    for (const d of [held1, held2, all1, all2]) {
      expectAnswer(await claim(TOKEN_A, d.devEui, { ownerToken: d.code, homeNetID: '000013', asID: '', lock: true }), 201, '');
    }
    expectAnswer(await claim(TOKEN_B, theirs.devEui, { ownerToken: theirs.code, homeNetID: '000042', asID: '' }), 201, '');
    const unknown = randomDevice('1.0.3').devEui;

    const list = [held1.devEui, theirs.devEui, unknown, notClaimed.devEui, held2.devEui.toLowerCase(), 'NOT-A-DEVEUI'].join(',');
    const mixed = await ttjs('DELETE', `/devices/${list}/claims`, TOKEN_A);
    expect(mixed.status).toBe(400);
    expect(JSON.parse(mixed.text)).toEqual({
      [theirs.devEui]: { message: 'Client not allowed to unclaim' },
      [unknown]: { message: 'Device not provisioned' },
      [notClaimed.devEui]: { message: 'Device not claimed' },
      'NOT-A-DEVEUI': { message: 'DevEUI not found or is invalid' },
    });
    expect(holderOf(held1.devEui)).toBeNull();
    expect(holderOf(held2.devEui)).toBeNull();
    expect(holderOf(theirs.devEui)).toBe('barn');

    expectAnswer(await ttjs('DELETE', `/devices/${all1.devEui},${all2.devEui}/claims`, TOKEN_A), 204, '');
    expect(holderOf(all1.devEui)).toBeNull();
    expect(holderOf(all2.devEui)).toBeNull();

    // Many DevEUIs in one path segment (longer than a router's default parameter limit).
    const many = [fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh()];
    for (const d of many) expectAnswer(await claim(TOKEN_A, d.devEui, { ownerToken: d.code, homeNetID: '000013', asID: '' }), 201, '');
    expectAnswer(await ttjs('DELETE', `/devices/${many.map((d) => d.devEui).join(',')}/claims`, TOKEN_A), 204, '');
    for (const d of many) expect(holderOf(d.devEui)).toBeNull();
  });

  it('answers 400 Invalid request to malformed JSON and wrong types, and the DevEUI message to a bad DevEUI', async () => {
    const { devEui, code } = fresh();
    expectAnswer(await ttjs('PUT', `/devices/${devEui}/claim`, TOKEN_A, undefined, '{"ownerToken":'), 400, INVALID);
    expectAnswer(await ttjs('PUT', `/devices/${devEui}/claim`, TOKEN_A, undefined, ''), 400, INVALID);
    expectAnswer(await ttjs('PUT', `/devices/${devEui}/claim`, TOKEN_A, undefined, '[1,2]'), 400, INVALID);
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', lock: 'yes' }), 400, INVALID);
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: 12345678, homeNetID: '000013' }), 400, INVALID);
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: 'not a netid' }), 400, INVALID);
    expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', kek: { label: 'k', key: 'not hex' } }), 400, INVALID);
    expect(holderOf(devEui)).toBeNull();

    for (const bad of ['0004A30B001C05', '0004A30B001C05FFAA', 'ZZZZZZZZZZZZZZZZ']) {
      expectAnswer(await claim(TOKEN_A, bad, { ownerToken: code, homeNetID: '000013' }), 400, BAD_DEV_EUI);
      expectAnswer(await status(TOKEN_A, bad), 400, BAD_DEV_EUI);
      expectAnswer(await unclaim(TOKEN_A, bad), 400, BAD_DEV_EUI);
    }
  });

  it('answers 401 without credentials (or with an account\'s), and 403 to peers that are not claim clients', async () => {
    const { devEui, code } = fresh();
    const body = { ownerToken: code, homeNetID: '000013', asID: '' };
    for (const answer of [await claim(null, devEui, body), await status(null, devEui), await unclaim(null, devEui), await claim('not-a-registered-token-at-all', devEui, body)]) {
      expect(answer.status).toBe(401);
      expect(Object.keys(JSON.parse(answer.text) as object)).toEqual(['message']);
    }
    const basic = await fetch(`${server.url}/api/v2/devices/${devEui}/claim`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`olivia:${PASSWORDS.olivia}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(basic.status).toBe(401);
    // A Network Server peer, and an Application Server peer registered without an application.
    expectAnswer(await claim(nsToken, devEui, body), 403, msg('Client not allowed to claim'));
    expectAnswer(await status(nsToken, devEui), 403, msg('Client not allowed to get status'));
    expectAnswer(await claim(TOKEN_PLAIN_AS, devEui, body), 403, msg('Client not allowed to claim'));
    expectAnswer(await unclaim(TOKEN_PLAIN_AS, devEui), 403, msg('Client not allowed to unclaim'));
    expect(holderOf(devEui)).toBeNull();
  });

  it('spends the printed code only when asked: regenerateOwnerToken true makes it fail afterwards, absent keeps it', async () => {
    const spent = fresh();
    expectAnswer(await claim(TOKEN_A, spent.devEui, { ownerToken: spent.code, homeNetID: '000013', asID: '', regenerateOwnerToken: true }), 201, '');
    expectAnswer(await claim(TOKEN_B, spent.devEui, { ownerToken: spent.code, homeNetID: '000042', asID: '' }), 403, FAILED);
    expect(holderOf(spent.devEui)).toBe('greenhouse');

    const kept = fresh();
    expectAnswer(await claim(TOKEN_A, kept.devEui, { ownerToken: kept.code, homeNetID: '000013', asID: '' }), 201, '');
    expectAnswer(await claim(TOKEN_B, kept.devEui, { ownerToken: kept.code, homeNetID: '000042', asID: '' }), 201, '');
    expect(holderOf(kept.devEui)).toBe('barn');
  });

  it('wraps the AppSKey under the claim\'s KEK for the claiming client\'s AS-ID (JoinAns and AppSKeyReq)', async () => {
    const { device, devEui, code } = fresh();
    expectAnswer(await claim(TOKEN_A, devEui, {
      ownerToken: code, homeNetID: '000013', asID: '', lock: true, kek: { label: 'tts-a-kek-1', key: CLAIM_KEK },
    }), 201, '');

    const devNonce = 0x0101;
    const join = await postBi(server.url, nsToken, joinReq(device, devNonce, { netId: '000013' }));
    expect(join.body['Result'], JSON.stringify(join.body)).toEqual({ ResultCode: 'Success' });
    const accepted = deviceAcceptsJoin(device, devNonce, '000013', join.body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    const envelope = join.body['AppSKey'] as { KEKLabel: string; AESKey: string };
    expect(envelope.KEKLabel).toBe('tts-a-kek-1');
    expect(unwrapKey(CLAIM_KEK, envelope.AESKey)).toBe(accepted.keys['AppSKey']);

    // asID was empty: the caller's identity receives the keys.
    const fetched = await postBi(server.url, TOKEN_A, appSKeyReq(device, join.body['SessionKeyID'] as string, 'tts-a.example.com'));
    expect(fetched.body['Result'], JSON.stringify(fetched.body)).toEqual({ ResultCode: 'Success' });
    const answer = fetched.body['AppSKey'] as { KEKLabel: string; AESKey: string };
    expect(answer.KEKLabel).toBe('tts-a-kek-1');
    expect(unwrapKey(CLAIM_KEK, answer.AESKey)).toBe(accepted.keys['AppSKey']);
    expect(server.output()).not.toContain(CLAIM_KEK);
  });

  it('answers 429 with Retry-After once a device has too many failed attempts; a correct code does not bypass it', async () => {
    const { devEui, code } = fresh();
    for (let i = 0; i < 5; i++) expectAnswer(await claim(TOKEN_A, devEui, { ownerToken: `WRONG00${i}`, homeNetID: '000013', asID: '' }), 403, FAILED);
    const limited = await claim(TOKEN_A, devEui, { ownerToken: code, homeNetID: '000013', asID: '' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Object.keys(JSON.parse(limited.text) as object)).toEqual(['message']);
    expect(holderOf(devEui)).toBeNull();
  });

  it('records every refused claim in the audit log, with its reason and `via: ttjs`', async () => {
    const wrong = fresh();
    expectAnswer(await claim(TOKEN_A, wrong.devEui, { ownerToken: 'WRONG999', homeNetID: '000013', asID: '' }), 403, FAILED);
    const locked = fresh();
    expectAnswer(await claim(TOKEN_A, locked.devEui, { ownerToken: locked.code, homeNetID: '000013', asID: '', lock: true }), 201, '');
    expectAnswer(await claim(TOKEN_B, locked.devEui, { ownerToken: locked.code, homeNetID: '000042', asID: '' }), 403, msg('Client not allowed to claim'));
    const unknown = randomDevice('1.0.3').devEui;
    expectAnswer(await claim(TOKEN_B, unknown, { ownerToken: 'C05E0000', homeNetID: '000042', asID: '' }), 404, NOT_PROVISIONED);

    const failures = (events: AuditEntry[]) => events.filter((e) => e.action === 'device.claim_failed')
      .map((e) => ({ actor: e.actor, reason: e.details.reason, via: e.details.via }));
    expect(failures(audit(wrong.devEui))).toEqual([{ actor: 'as:tts-a.example.com', reason: 'wrong_token', via: 'ttjs' }]);
    expect(failures(audit(locked.devEui))).toEqual([{ actor: 'as:tts-b.example.com', reason: 'claim_locked', via: 'ttjs' }]);
    expect(failures(await auditOfUnknown(unknown))).toEqual([{ actor: 'as:tts-b.example.com', reason: 'device_not_provisioned', via: 'ttjs' }]);
    expect(audit(locked.devEui).filter((e) => e.action === 'device.claimed').map((e) => e.actor)).toEqual(['as:tts-a.example.com']);
  });

  describe('over HTTPS with TLS client certificates', () => {
    const url = (devEui: string) => `${httpsUrl}/api/v2/devices/${devEui}/claim`;

    it('authenticates a claim client by its registered certificate; its claims land in its application', async () => {
      const { devEui, code } = fresh();
      const claimed = await tlsRequest(url(devEui), 'PUT', { ca: pki.ca.certPem(), client: pki.client, body: { ownerToken: code, homeNetID: '000013', asID: '', lock: true } });
      expect(claimed).toEqual({ ok: true, status: 201, text: '' });
      expect(holderOf(devEui)).toBe('orchard');
      expect(await tlsRequest(url(devEui), 'GET', { ca: pki.ca.certPem(), client: pki.client })).toEqual({ ok: true, status: 200, text: '{"homeNetID":"000013","locked":true}' });
      const view = ok(runDeed(['get', devEui], { url: server.url })).json<Record<string, unknown>>();
      expect(view['asId']).toBe('tts-cert.example.com');
      // The bearer-token client of another application is refused the status.
      expect(await tlsRequest(url(devEui), 'GET', { ca: pki.ca.certPem(), token: TOKEN_A })).toEqual({ ok: true, status: 403, text: msg('Client not allowed to get status') });
      expect(await tlsRequest(url(devEui), 'DELETE', { ca: pki.ca.certPem(), client: pki.client })).toEqual({ ok: true, status: 200, text: '' });
      expect(holderOf(devEui)).toBeNull();
    });

    it('refuses a certificate from an untrusted CA, even one whose fingerprint is registered', async () => {
      const { devEui, code } = fresh();
      const outcome = await tlsRequest(url(devEui), 'PUT', { ca: pki.ca.certPem(), client: pki.untrustedClient, body: { ownerToken: code, homeNetID: '000013', asID: '' } });
      expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
      const withToken = await tlsRequest(url(devEui), 'PUT', { ca: pki.ca.certPem(), client: pki.untrustedClient, token: TOKEN_A, body: { ownerToken: code, homeNetID: '000013', asID: '' } });
      expect(withToken.ok, JSON.stringify(withToken)).toBe(false);
      expect(holderOf(devEui)).toBeNull();
    });

    it('answers 401 to a trusted certificate that is not registered, and accepts a bearer token without a certificate', async () => {
      const { devEui, code } = fresh();
      const body = { ownerToken: code, homeNetID: '000013', asID: '' };
      const unregistered = await tlsRequest(url(devEui), 'PUT', { ca: pki.ca.certPem(), client: pki.otherClient, body });
      expect(unregistered.ok && unregistered.status).toBe(401);
      expect(holderOf(devEui)).toBeNull();
      expect(await tlsRequest(url(devEui), 'PUT', { ca: pki.ca.certPem(), token: TOKEN_A, body })).toEqual({ ok: true, status: 201, text: '' });
      expect(holderOf(devEui)).toBe('greenhouse');
    });
  });
});
