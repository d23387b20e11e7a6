import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import {
  appSKeyReq, deviceAcceptsJoin, joinReq, joinRequestPhy, postBi, randomDevice, resultCode,
  type MacVersion, type TestDevice,
} from '../support/network-server.js';

/**
 * Every way a Backend Interfaces request can fail, against the real `deed serve` over HTTP: the
 * ResultCode a Network / Application Server gets, the answer's header, that a failed join
 * changes nothing (the device's nonces read back through the API, and the next valid JoinReq
 * still gets the JoinNonce it would have got), and that no answer leaks a root key.
 */

const NET_ID = '000013';
const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const AS_KEK = 'F0E0D0C0B0A090807060504030201000F0E0D0C0B0A09080';
const AS2_KEK = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

type Body = Record<string, unknown>;
interface Nonces { nextJoinNonce: number; lastDevNonce: number | null; usedDevNonces: number[] }

describe('Backend Interfaces error answers, end to end', () => {
  let server: DeedServer;
  let nsToken: string;
  let asToken: string;
  let as2Token: string;
  const data = tempDir();
  /** Every root key registered in this file: no answer may contain one. */
  const rootKeys: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: BASIC, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
  }

  /** Registers a device through the REST API (home NetID 000013 and AS as-1 unless overridden). */
  async function addDevice(macVersion: MacVersion, settings: Body = {}): Promise<TestDevice> {
    const device = randomDevice(macVersion);
    rootKeys.push(device.appKey, ...(device.nwkKey !== undefined ? [device.nwkKey] : []));
    const created = await api('POST', '/api/v1/devices', {
      devEui: device.devEui, joinEui: device.joinEui, appKey: device.appKey,
      ...(device.nwkKey !== undefined ? { nwkKey: device.nwkKey } : {}),
      macVersion, homeNetId: NET_ID, asId: 'as-1', ...settings,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return device;
  }

  async function nonces(device: TestDevice): Promise<Nonces> {
    const got = await api('GET', `/api/v1/devices/${device.devEui}?nonces=true`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    return got.body['nonces'] as Nonces;
  }

  /**
   * Checks an answer: HTTP 200, the ResultCode, the request's header with Sender and Receiver
   * swapped, and (for failures) a Description without key material.
   */
  function expectAnswer(request: Body, answer: { status: number; body: Body }, code: string, answerType?: string): void {
    const { body } = answer;
    const context = `${JSON.stringify(request).slice(0, 400)}\n→ ${JSON.stringify(body)}`;
    expect(answer.status, context).toBe(200);
    expect(resultCode(body), context).toBe(code);
    expect(body['SenderID'], context).toBe(request['ReceiverID']);
    expect(body['ReceiverID'], context).toBe(request['SenderID']);
    const tid = request['TransactionID'];
    // An invalid TransactionID cannot be echoed; the answer still carries a uint32 one.
    if (typeof tid === 'number' && Number.isInteger(tid) && tid >= 0 && tid <= 0xffffffff) expect(body['TransactionID'], context).toBe(tid);
    else expect(typeof body['TransactionID'], context).toBe('number');
    if (request['ProtocolVersion'] === '1.0' || request['ProtocolVersion'] === '1.1') {
      expect(body['ProtocolVersion'], context).toBe(request['ProtocolVersion']);
    }
    if (answerType !== undefined) expect(body['MessageType'], context).toBe(answerType);
    if (code !== 'Success') {
      const result = body['Result'] as { Description?: unknown };
      expect(typeof result.Description, context).toBe('string');
      const text = JSON.stringify(body).toUpperCase();
      for (const key of [...rootKeys, NS_KEK, AS_KEK, AS2_KEK]) expect(text, context).not.toContain(key);
      for (const field of ['PHYPayload', 'NwkSKey', 'FNwkSIntKey', 'SNwkSIntKey', 'NwkSEncKey', 'AppSKey', 'SessionKeyID']) {
        expect(body[field], `${field} in a failed answer: ${context}`).toBeUndefined();
      }
    }
  }

  /** Sends a JoinReq with the NS token and checks the answer's ResultCode and header. */
  async function join(request: Body, code: string, token: string | null = nsToken): Promise<Body> {
    const answer = await postBi(server.url, token, request);
    expectAnswer(request, answer, code, request['MessageType'] === 'JoinReq' ? 'JoinAns' : undefined);
    return answer.body;
  }

  /** A valid JoinReq that must succeed with `joinNonce`. */
  async function joinsWith(device: TestDevice, devNonce: number, joinNonce: number): Promise<Body> {
    const body = await join(joinReq(device, devNonce), 'Success');
    const accepted = deviceAcceptsJoin(device, devNonce, NET_ID, body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    expect(accepted.joinNonce).toBe(joinNonce);
    return body;
  }

  /** Runs `failing` and checks that the device's nonces read back the same afterwards. */
  async function unchanged(device: TestDevice, failing: () => Promise<unknown>): Promise<Nonces> {
    const before = await nonces(device);
    await failing();
    expect(await nonces(device)).toEqual(before);
    return before;
  }

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    const peer = async (body: Body) => {
      const created = await api('POST', '/api/v1/peers', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body['token'] as string;
    };
    nsToken = await peer({ netId: NET_ID, kekLabel: 'ns-000013', kek: NS_KEK });
    asToken = await peer({ asId: 'as-1', kekLabel: 'as-1-kek', kek: AS_KEK });
    as2Token = await peer({ asId: 'as-2', kekLabel: 'as-2-kek', kek: AS2_KEK });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  describe('DevNonce rules', () => {
    it('refuses a replayed DevNonce of a LoRaWAN 1.0.3 device (random DevNonces) and keeps its state', async () => {
      const device = await addDevice('1.0.3');
      await joinsWith(device, 0x4321, 1);
      const before = await unchanged(device, () => join(joinReq(device, 0x4321), 'JoinReqFailed'));
      expect(before).toEqual({ nextJoinNonce: 2, lastDevNonce: 0x4321, usedDevNonces: [0x4321] });
      // Random DevNonces need not increase: a smaller, unused one is fine.
      await joinsWith(device, 0x0102, 2);
      await unchanged(device, () => join(joinReq(device, 0x4321), 'JoinReqFailed'));
      await unchanged(device, () => join(joinReq(device, 0x0102), 'JoinReqFailed'));
      await joinsWith(device, 0x9999, 3);
    });

    for (const macVersion of ['1.0.4', '1.1'] as const) {
      it(`refuses a DevNonce that does not increase on a LoRaWAN ${macVersion} device`, async () => {
        const device = await addDevice(macVersion);
        await joinsWith(device, 10, 1);
        const before = await unchanged(device, async () => {
          await join(joinReq(device, 10), 'JoinReqFailed'); // equal
          await join(joinReq(device, 9), 'JoinReqFailed'); // smaller
          await join(joinReq(device, 0), 'JoinReqFailed'); // 0 after a join
        });
        expect(before.lastDevNonce).toBe(10);
        expect(before.nextJoinNonce).toBe(2);
        await joinsWith(device, 11, 2);
        // A gap is fine: a counter only has to increase.
        await joinsWith(device, 500, 3);
        await unchanged(device, () => join(joinReq(device, 499), 'JoinReqFailed'));
      });
    }

    it('accepts DevNonce 0 as the first join of a LoRaWAN 1.0.4 device, then refuses 0 again', async () => {
      const device = await addDevice('1.0.4');
      expect(await nonces(device)).toEqual({ nextJoinNonce: 1, lastDevNonce: null, usedDevNonces: [] });
      await joinsWith(device, 0, 1);
      expect((await nonces(device)).lastDevNonce).toBe(0);
      await unchanged(device, () => join(joinReq(device, 0), 'JoinReqFailed'));
      await joinsWith(device, 1, 2);
    });
  });

  describe('MIC, device and caller checks', () => {
    it('answers MICFailed to a JoinRequest MIC\'d with the wrong key, and stores nothing', async () => {
      const device = await addDevice('1.0.3');
      const wrongKey = randomBytes(16).toString('hex').toUpperCase();
      await unchanged(device, () => join(joinReq(device, 1, { phy: joinRequestPhy({ ...device, appKey: wrongKey }, 1) }), 'MICFailed'));
      // The same DevNonce with a good MIC is still fresh, and gets the first JoinNonce.
      await joinsWith(device, 1, 1);

      // LoRaWAN 1.1: the JoinRequest MIC is under NwkKey, not AppKey.
      const device11 = await addDevice('1.1');
      await unchanged(device11, () => join(joinReq(device11, 1, { phy: joinRequestPhy({ ...device11, nwkKey: device11.appKey }, 1) }), 'MICFailed'));
      await joinsWith(device11, 1, 1);
    });

    it('answers UnknownDevEUI for a device it does not know (or under another JoinEUI)', async () => {
      await join(joinReq(randomDevice('1.0.3'), 1), 'UnknownDevEUI');
      const device = await addDevice('1.0.3');
      const otherJoinEui = { ...device, joinEui: '70B3D57ED0000001' };
      await unchanged(device, () => join(joinReq(otherJoinEui, 1), 'UnknownDevEUI'));
      await joinsWith(device, 1, 1);
    });

    it('answers ActivationDisallowed when the device\'s home NetID is another NetID, or not set', async () => {
      const elsewhere = await addDevice('1.0.3', { homeNetId: '000099' });
      const nowhere = await addDevice('1.0.4', { homeNetId: null });
      expect((await api('GET', `/api/v1/devices/${nowhere.devEui}`)).body['homeNetId']).toBeNull();
      await unchanged(elsewhere, () => join(joinReq(elsewhere, 5), 'ActivationDisallowed'));
      await unchanged(nowhere, () => join(joinReq(nowhere, 5), 'ActivationDisallowed'));
      // Once the operator names this Network Server, the same JoinRequests succeed with JoinNonce 1.
      for (const device of [elsewhere, nowhere]) {
        expect((await api('PATCH', `/api/v1/devices/${device.devEui}`, { homeNetId: NET_ID })).status).toBe(200);
        await joinsWith(device, 5, 1);
      }
    });

    it('answers UnknownSender to a bad bearer token, no token, another peer kind, and a SenderID that is not the peer\'s NetID', async () => {
      const device = await addDevice('1.0.4');
      await unchanged(device, async () => {
        await join(joinReq(device, 3), 'UnknownSender', 'bi_not-a-registered-token-0123456789');
        await join(joinReq(device, 3), 'UnknownSender', null);
        await join(joinReq(device, 3), 'UnknownSender', asToken);
        await join(joinReq(device, 3, { netId: '000014' }), 'UnknownSender');
        await join(joinReq(device, 3, { netId: '000099' }), 'UnknownSender');
      });
      const wrongScheme = await fetch(`${server.url}/api/bi`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify(joinReq(device, 3)),
      });
      expect(wrongScheme.status).toBe(200);
      expect(resultCode((await wrongScheme.json()) as Body)).toBe('UnknownSender');
      await joinsWith(device, 3, 1);
    });
  });

  describe('malformed requests', () => {
    it('answers MalformedRequest (BI 1.0) / MalformedMessage (BI 1.1) to a PHYPayload that is not a JoinRequest', async () => {
      const device = await addDevice('1.0.3');
      const dataFrame = Buffer.concat([Buffer.from([0x40]), randomBytes(22)]);
      expect(dataFrame.length).toBe(23);
      await unchanged(device, async () => {
        await join(joinReq(device, 1, { phy: dataFrame, protocol: '1.0' }), 'MalformedRequest');
        await join(joinReq(device, 1, { phy: dataFrame, protocol: '1.1' }), 'MalformedMessage');
        // A JoinRequest MHDR with a Major other than LoRaWAN R1.
        const major = joinRequestPhy(device, 1);
        major[0] = 0x01;
        await join(joinReq(device, 1, { phy: major }), 'MalformedRequest');
      });
      await joinsWith(device, 1, 1);
    });

    it('answers FrameSizeError to a JoinRequest of 22 or 24 bytes', async () => {
      const device = await addDevice('1.0.3');
      const good = joinRequestPhy(device, 1);
      await unchanged(device, async () => {
        for (const protocol of ['1.0', '1.1'] as const) {
          await join(joinReq(device, 1, { protocol, phy: good.subarray(0, 22) }), 'FrameSizeError');
          await join(joinReq(device, 1, { protocol, phy: Buffer.concat([good, Buffer.from([0])]) }), 'FrameSizeError');
        }
      });
      await joinsWith(device, 1, 1);
    });

    it('answers Malformed* to bad hex, a mismatched DevEUI, a bad MACVersion, an unknown MessageType and wrong JSON types', async () => {
      const device = await addDevice('1.0.3');
      const other = await addDevice('1.0.3'); // a registered device, so only the mismatch is wrong
      const base = () => joinReq(device, 1);
      const cases: [string, (r: Body) => void][] = [];
      for (const field of ['PHYPayload', 'DevEUI', 'DevAddr', 'DLSettings']) {
        cases.push([`${field} "XYZ"`, (r) => { r[field] = 'XYZ'; }]);
        cases.push([`${field} of odd length`, (r) => { r[field] = `${String(r[field])}0`; }]);
        cases.push([`${field} with a non-hex digit`, (r) => { r[field] = `G${String(r[field]).slice(1)}`; }]);
        cases.push([`${field} missing`, (r) => { delete r[field]; }]);
      }
      cases.push(['DevEUI of another device than the PHYPayload\'s', (r) => { r['DevEUI'] = other.devEui; }]);
      cases.push(['DevEUI of 7 bytes', (r) => { r['DevEUI'] = device.devEui.slice(2); }]);
      cases.push(['DevAddr of 5 bytes', (r) => { r['DevAddr'] = '2601123456'; }]);
      cases.push(['MACVersion missing', (r) => { delete r['MACVersion']; }]);
      cases.push(['MACVersion "1.2"', (r) => { r['MACVersion'] = '1.2'; }]);
      cases.push(['MACVersion as a number', (r) => { r['MACVersion'] = 1.1; }]);
      cases.push(['TransactionID as a string', (r) => { r['TransactionID'] = String(r['TransactionID']); }]);
      cases.push(['TransactionID negative', (r) => { r['TransactionID'] = -1; }]);
      cases.push(['RxDelay as a string', (r) => { r['RxDelay'] = '1'; }]);
      cases.push(['RxDelay of 16', (r) => { r['RxDelay'] = 16; }]);
      cases.push(['PHYPayload as a number', (r) => { r['PHYPayload'] = 123456; }]);
      cases.push(['DevEUI as an array', (r) => { r['DevEUI'] = [1, 2]; }]);
      cases.push(['CFList of 15 bytes', (r) => { r['CFList'] = '00'.repeat(15); }]);
      cases.push(['ProtocolVersion "2.0"', (r) => { r['ProtocolVersion'] = '2.0'; }]);
      cases.push(['MessageType missing', (r) => { delete r['MessageType']; }]);

      await unchanged(device, async () => {
        for (const [name, mutate] of cases) {
          for (const protocol of ['1.0', '1.1'] as const) {
            const request = { ...base(), ProtocolVersion: protocol };
            mutate(request);
            const answer = await postBi(server.url, nsToken, request);
            const expected = request['ProtocolVersion'] === '1.1' ? 'MalformedMessage' : 'MalformedRequest';
            expect(resultCode(answer.body), `${name} (BI ${protocol}): ${JSON.stringify(answer.body)}`).toBe(expected);
            expectAnswer(request, answer, expected);
          }
        }
        // An unknown MessageType is still answered with HTTP 200 and a Result.
        for (const protocol of ['1.0', '1.1'] as const) {
          const request = { ...base(), ProtocolVersion: protocol, MessageType: 'RejoinReq' };
          const answer = await postBi(server.url, nsToken, request);
          expectAnswer(request, answer, protocol === '1.0' ? 'MalformedRequest' : 'MalformedMessage');
          expect(answer.body['MessageType']).not.toBe('RejoinReq');
        }
      });
      await joinsWith(device, 1, 1);
      expect(await nonces(other)).toEqual({ nextJoinNonce: 1, lastDevNonce: null, usedDevNonces: [] });
    });

    it('answers a body that is not a JSON object with a plain HTTP 400, and an oversized body with 413', async () => {
      const device = await addDevice('1.0.3');
      await unchanged(device, async () => {
        for (const raw of ['this is not JSON', `${JSON.stringify(joinReq(device, 1)).slice(0, -1)}`, '[]', JSON.stringify([joinReq(device, 1)]), 'null', '42', '"JoinReq"', '']) {
          const answer = await postBi(server.url, nsToken, raw);
          expect(answer.status, `body ${JSON.stringify(raw.slice(0, 40))}`).toBe(400);
          expect(answer.body['Result'], `body ${JSON.stringify(raw.slice(0, 40))}`).toBeUndefined();
        }
        const huge = JSON.stringify({ ...joinReq(device, 1), VSExtension: { padding: 'A'.repeat(1024 * 1024) } });
        expect(huge.length).toBeGreaterThan(1024 * 1024);
        const response = await fetch(`${server.url}/api/bi`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${nsToken}` }, body: huge,
        }).catch((err: unknown) => err as Error);
        // The server may close the connection while the client still sends; then no status is seen.
        if (response instanceof Error) throw new Error(`1 MiB body: no HTTP answer (${response.message})`);
        expect(response.status).toBe(413);
        await response.arrayBuffer();
      });
      // Still serving, and the device is untouched.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await joinsWith(device, 1, 1);
    });
  });

  describe('AppSKeyReq and HomeNSReq', () => {
    it('answers ActivationDisallowed to another Application Server, UnknownDevEUI to an unknown session', async () => {
      const device = await addDevice('1.0.3');
      const joined = await joinsWith(device, 1, 1);
      const sessionKeyId = joined['SessionKeyID'] as string;
      expect(sessionKeyId).toMatch(/^[0-9A-F]+$/);

      const ok = appSKeyReq(device, sessionKeyId, 'as-1');
      expectAnswer(ok, await postBi(server.url, asToken, ok), 'Success', 'AppSKeyAns');

      const byOther = appSKeyReq(device, sessionKeyId, 'as-2');
      expectAnswer(byOther, await postBi(server.url, as2Token, byOther), 'ActivationDisallowed', 'AppSKeyAns');
      // as-2's token with as-1's SenderID is not as-1.
      const spoofed = appSKeyReq(device, sessionKeyId, 'as-1');
      expectAnswer(spoofed, await postBi(server.url, as2Token, spoofed), 'UnknownSender', 'AppSKeyAns');
      // A Network Server may not fetch the AppSKey.
      const byNs = appSKeyReq(device, sessionKeyId, NET_ID);
      expectAnswer(byNs, await postBi(server.url, nsToken, byNs), 'UnknownSender', 'AppSKeyAns');

      const unknownSession = appSKeyReq(device, randomBytes(16).toString('hex').toUpperCase(), 'as-1');
      expectAnswer(unknownSession, await postBi(server.url, asToken, unknownSession), 'UnknownDevEUI', 'AppSKeyAns');
      const unknownDevice = appSKeyReq(randomDevice('1.0.3'), sessionKeyId, 'as-1');
      expectAnswer(unknownDevice, await postBi(server.url, asToken, unknownDevice), 'UnknownDevEUI', 'AppSKeyAns');
      const noSession = { ...appSKeyReq(device, sessionKeyId, 'as-1'), SessionKeyID: undefined };
      expectAnswer(noSession, await postBi(server.url, asToken, noSession), 'MalformedRequest', 'AppSKeyAns');
    });

    it('answers HomeNSReq with the HNetID of a known device, UnknownDevEUI for an unknown one', async () => {
      const device = await addDevice('1.0.4');
      const homeNs = (d: TestDevice, protocol: '1.0' | '1.1' = '1.0'): Body => ({
        ProtocolVersion: protocol, TransactionID: 777, MessageType: 'HomeNSReq', SenderID: NET_ID, ReceiverID: d.joinEui, DevEUI: d.devEui,
      });
      const known = homeNs(device);
      const answer = await postBi(server.url, nsToken, known);
      expectAnswer(known, answer, 'Success', 'HomeNSAns');
      expect(answer.body['HNetID']).toBe(NET_ID);

      const known11 = homeNs(device, '1.1');
      const answer11 = await postBi(server.url, nsToken, known11);
      expectAnswer(known11, answer11, 'Success', 'HomeNSAns');
      expect(answer11.body['HNetID']).toBe(NET_ID);

      const unknown = homeNs(randomDevice('1.0.4'));
      const unknownAnswer = await postBi(server.url, nsToken, unknown);
      expectAnswer(unknown, unknownAnswer, 'UnknownDevEUI', 'HomeNSAns');
      expect(unknownAnswer.body['HNetID']).toBeUndefined();

      const noToken = homeNs(device);
      expectAnswer(noToken, await postBi(server.url, null, noToken), 'UnknownSender', 'HomeNSAns');
    });
  });

  it('tolerates lower-case hex and 0x prefixes, answers in upper case, and swaps the BI 1.1 NSIDs', async () => {
    const device = await addDevice('1.1');
    const valid = joinReq(device, 1);
    const request: Body = {
      ...valid,
      PHYPayload: `0x${String(valid['PHYPayload']).toLowerCase()}`,
      DevEUI: `0x${device.devEui.toLowerCase()}`,
      DevAddr: '0x2601abcd',
      DLSettings: '0x00',
      SenderNSID: '0000000000000001',
      ReceiverNSID: '70B3D57ED0000000',
    };
    const answer = await postBi(server.url, nsToken, request);
    expectAnswer(request, answer, 'Success', 'JoinAns');
    expect(answer.body['ReceiverNSID']).toBe('0000000000000001');
    expect(answer.body['SenderNSID']).toBe('70B3D57ED0000000');
    expect(answer.body['PHYPayload']).toMatch(/^[0-9A-F]+$/);
    expect(answer.body['SessionKeyID']).toMatch(/^[0-9A-F]+$/);
    const accepted = deviceAcceptsJoin(device, 1, NET_ID, answer.body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    expect(accepted.devAddr).toBe('2601ABCD');

    const lowerAppSKeyReq = { ...appSKeyReq(device, String(answer.body['SessionKeyID']).toLowerCase(), 'as-1'), DevEUI: device.devEui.toLowerCase() };
    const fetched = await postBi(server.url, asToken, lowerAppSKeyReq);
    expectAnswer(lowerAppSKeyReq, fetched, 'Success', 'AppSKeyAns');
    expect(fetched.body['DevEUI']).toBe(device.devEui);
    expect(fetched.body['SessionKeyID']).toBe(answer.body['SessionKeyID']);
  });

  it('answers exactly one of ten identical JoinReqs sent at once with a JoinAccept', async () => {
    const device = await addDevice('1.0.4');
    const request = joinReq(device, 42);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postBi(server.url, nsToken, request)));
    const codes = answers.map((a) => resultCode(a.body));
    expect(codes.filter((c) => c === 'Success'), codes.join(', ')).toHaveLength(1);
    expect(codes.filter((c) => c === 'JoinReqFailed'), codes.join(', ')).toHaveLength(9);
    for (const answer of answers) expectAnswer(request, answer, resultCode(answer.body) ?? '', 'JoinAns');
    expect(await nonces(device)).toEqual({ nextJoinNonce: 2, lastDevNonce: 42, usedDevNonces: [42] });
    await joinsWith(device, 43, 2);
  });

  describe('resetsJoinNonces', () => {
    for (const macVersion of ['1.0.3', '1.0.4'] as const) {
      it(`lets a LoRaWAN ${macVersion} device added with --resets-join-nonces replay a DevNonce, until --no-resets-join-nonces`, async () => {
        const device = randomDevice(macVersion);
        rootKeys.push(device.appKey);
        const add = runDeed([
          'device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', device.appKey,
          '--mac-version', macVersion, '--home-net-id', NET_ID, '--as-id', 'as-1', '--resets-join-nonces',
        ], { url: server.url });
        expect(add.code, add.stderr).toBe(0);
        expect(add.json<Body>()['resetsJoinNonces']).toBe(true);

        await joinsWith(device, 7, 1);
        await joinsWith(device, 7, 2); // the device reset its DevNonce: accepted, with a fresh JoinNonce
        await joinsWith(device, 2, 3);

        const update = runDeed(['device', 'update', device.devEui, '--no-resets-join-nonces'], { url: server.url });
        expect(update.code, update.stderr).toBe(0);
        expect(update.json<Body>()['resetsJoinNonces']).toBe(false);
        const get = runDeed(['device', 'get', device.devEui], { url: server.url });
        expect(get.json<Body>()['resetsJoinNonces']).toBe(false);

        await unchanged(device, () => join(joinReq(device, 2), 'JoinReqFailed'));
        if (macVersion === '1.0.3') await unchanged(device, () => join(joinReq(device, 7), 'JoinReqFailed'));
        await joinsWith(device, 8, 4);
      });
    }
  });

  it('counts joins by ResultCode and times them in /metrics', async () => {
    const scrape = async () => {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    };
    const sample = (text: string, name: string, labels: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const before = await scrape();
    const device = await addDevice('1.0.4');
    await joinsWith(device, 1, 1);
    await joinsWith(device, 2, 2);
    await join(joinReq(device, 2), 'JoinReqFailed');
    const after = await scrape();

    expect(after).toMatch(/^# TYPE deed_joins_total counter$/m);
    expect(after).toMatch(/^# TYPE deed_join_duration_seconds histogram$/m);
    expect(sample(after, 'deed_joins_total', 'result="Success"') - sample(before, 'deed_joins_total', 'result="Success"')).toBe(2);
    expect(sample(after, 'deed_joins_total', 'result="JoinReqFailed"') - sample(before, 'deed_joins_total', 'result="JoinReqFailed"')).toBe(1);
    // Earlier tests in this file answered joins with these codes too.
    expect(sample(after, 'deed_joins_total', 'result="JoinReqFailed"')).toBeGreaterThan(1);
    expect(sample(after, 'deed_joins_total', 'result="MICFailed"')).toBeGreaterThan(0);
    const count = (text: string, result: string) => sample(text, 'deed_join_duration_seconds_count', `result="${result}"`);
    expect(count(after, 'Success') - count(before, 'Success')).toBe(2);
    expect(count(after, 'JoinReqFailed') - count(before, 'JoinReqFailed')).toBe(1);
    expect(sample(after, 'deed_join_duration_seconds_bucket', 'le="+Inf",result="Success"')).toBe(count(after, 'Success'));
    expect(sample(after, 'deed_join_duration_seconds_sum', 'result="Success"')).toBeGreaterThan(0);
  });

  it('never logs a root key or a KEK', () => {
    const log = server.output().toUpperCase();
    for (const key of [...rootKeys, NS_KEK, AS_KEK, AS2_KEK]) expect(log).not.toContain(key);
  });
});
