import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import {
  appSKeyReq, deviceAcceptsJoin, joinReq, postBi, randomDevice, resultCode, unwrapKey, type MacVersion,
} from '../support/network-server.js';

const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const AS_KEK = 'F0E0D0C0B0A090807060504030201000F0E0D0C0B0A09080';

/**
 * The whole join path as a Network Server sees it: devices and peers registered with the CLI,
 * a JoinRequest built by lora-packet sent as a BI JoinReq over HTTP, the JoinAns checked the
 * way a device would (lora-packet), and the wrapped keys checked against lora-packet's derivation.
 */
describe('LoRaWAN join over Backend Interfaces, end to end', () => {
  let server: DeedServer;
  let nsToken: string;
  let asToken: string;
  const data = tempDir();

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    const ns = runDeed(['peer', 'add', '--net-id', '000013', '--kek-label', 'ns-000013', '--kek', NS_KEK], { url: server.url });
    expect(ns.code, ns.stderr).toBe(0);
    nsToken = ns.json<{ token: string }>().token;
    const as = runDeed(['peer', 'add', '--as-id', 'as-1', '--kek-label', 'as-1-kek', '--kek', '-'], { url: server.url, input: AS_KEK });
    expect(as.code, as.stderr).toBe(0);
    asToken = as.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
  });

  for (const macVersion of ['1.0.2', '1.0.3', '1.0.4', '1.1'] as MacVersion[]) {
    for (const cfList of [undefined, '184F84E85684B85E84886684586E8400']) {
      it(`activates a LoRaWAN ${macVersion} device${cfList !== undefined ? ' with a CFList' : ''}`, async () => {
        const device = randomDevice(macVersion);
        const add = runDeed([
          'device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', device.appKey,
          ...(device.nwkKey !== undefined ? ['--nwk-key', device.nwkKey] : []),
          '--mac-version', macVersion, '--home-net-id', '000013', '--as-id', 'as-1',
        ], { url: server.url });
        expect(add.code, add.stderr).toBe(0);
        expect(add.stdout).not.toContain(device.appKey);

        const devNonce = 0x1234;
        const { status, body } = await postBi(server.url, nsToken, joinReq(device, devNonce, {
          dlSettings: '03', rxDelay: 5, ...(cfList !== undefined ? { cfList } : {}),
        }));
        expect(status).toBe(200);
        expect(body['Result'], JSON.stringify(body)).toEqual({ ResultCode: 'Success' });
        expect(body['MessageType']).toBe('JoinAns');
        expect(body['SenderID']).toBe(device.joinEui);
        expect(body['ReceiverID']).toBe('000013');

        const accepted = deviceAcceptsJoin(device, devNonce, '000013', body['PHYPayload'] as string);
        expect(accepted.micOk).toBe(true);
        expect(accepted.netId).toBe('000013');
        expect(accepted.devAddr).toBe('26011234');
        expect(accepted.joinNonce).toBe(1);
        expect(accepted.optNeg).toBe(macVersion === '1.1');
        expect(accepted.cfList).toBe(cfList ?? '');

        const envelope = (name: string) => body[name] as { KEKLabel: string; AESKey: string };
        if (macVersion === '1.1') {
          for (const [name, lp] of [['FNwkSIntKey', 'FNwkSIntKey'], ['SNwkSIntKey', 'SNwkSIntKey'], ['NwkSEncKey', 'NwkSEncKey']] as const) {
            expect(envelope(name).KEKLabel).toBe('ns-000013');
            expect(unwrapKey(NS_KEK, envelope(name).AESKey)).toBe(accepted.keys[lp]);
          }
          expect(body['NwkSKey']).toBeUndefined();
        } else {
          expect(envelope('NwkSKey').KEKLabel).toBe('ns-000013');
          expect(unwrapKey(NS_KEK, envelope('NwkSKey').AESKey)).toBe(accepted.keys['NwkSKey']);
        }
        expect(envelope('AppSKey').KEKLabel).toBe('as-1-kek');
        const appSKey = unwrapKey(AS_KEK, envelope('AppSKey').AESKey);
        expect(appSKey).toBe(accepted.keys['AppSKey']);

        const fetched = await postBi(server.url, asToken, appSKeyReq(device, body['SessionKeyID'] as string, 'as-1'));
        expect(fetched.body['Result'], JSON.stringify(fetched.body)).toEqual({ ResultCode: 'Success' });
        expect(fetched.body['MessageType']).toBe('AppSKeyAns');
        expect(fetched.body['DevEUI']).toBe(device.devEui);
        expect(fetched.body['SessionKeyID']).toBe(body['SessionKeyID']);
        expect(unwrapKey(AS_KEK, (fetched.body['AppSKey'] as { AESKey: string }).AESKey)).toBe(appSKey);

        // A second join with a fresh DevNonce gets the next JoinNonce.
        const again = await postBi(server.url, nsToken, joinReq(device, devNonce + 1));
        expect(resultCode(again.body)).toBe('Success');
        expect(deviceAcceptsJoin(device, devNonce + 1, '000013', again.body['PHYPayload'] as string).joinNonce).toBe(2);
      });
    }
  }

  it('never writes key material to its log', () => {
    const log = server.output();
    expect(log).not.toContain(NS_KEK);
    expect(log).not.toContain(AS_KEK);
    expect(log).not.toMatch(/AESKey/);
  });
});
