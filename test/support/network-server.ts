import { expect } from 'vitest';
import { createDecipheriv, createCipheriv, randomBytes } from 'node:crypto';
import loraPacketCjs from 'lora-packet';

// lora-packet sets module.exports = api; its .d.ts says `export default` (typed as `.default` under NodeNext).
const lora = loraPacketCjs as unknown as typeof loraPacketCjs.default;

/**
 * The Network Server / Application Server side of a Backend Interfaces exchange, built on the
 * independent `lora-packet` implementation and node:crypto (never on Deed's own LoRaWAN code).
 */

export type MacVersion = '1.0' | '1.0.1' | '1.0.2' | '1.0.3' | '1.0.4' | '1.1';

export interface TestDevice {
  readonly devEui: string;
  readonly joinEui: string;
  readonly appKey: string;
  readonly nwkKey?: string;
  readonly macVersion: MacVersion;
}

/** A random device of a MAC version (1.1 devices get both root keys). */
export function randomDevice(macVersion: MacVersion, devEui?: string): TestDevice {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return {
    devEui: devEui ?? hex(8),
    joinEui: '70B3D57ED0000000',
    appKey: hex(16),
    ...(macVersion === '1.1' ? { nwkKey: hex(16) } : {}),
    macVersion,
  };
}

const be = (hex: string) => Buffer.from(hex, 'hex');

/** A JoinRequest PHYPayload built by lora-packet, MIC'd with the device's network root key. */
export function joinRequestPhy(device: TestDevice, devNonce: number): Buffer {
  const key = be(device.nwkKey ?? device.appKey);
  const nonce = Buffer.alloc(2);
  nonce.writeUInt16BE(devNonce);
  const packet = lora.fromFields({ MType: 'Join Request', AppEUI: be(device.joinEui), DevEUI: be(device.devEui), DevNonce: nonce }, undefined, undefined, key);
  return packet.getPHYPayload() ?? Buffer.alloc(0);
}

let transaction = 1;

/** A BI JoinReq envelope. */
export function joinReq(
  device: TestDevice, devNonce: number,
  o: { netId?: string; devAddr?: string; dlSettings?: string; rxDelay?: number; cfList?: string; protocol?: '1.0' | '1.1'; phy?: Buffer } = {},
): Record<string, unknown> {
  return {
    ProtocolVersion: o.protocol ?? (device.macVersion === '1.1' ? '1.1' : '1.0'),
    TransactionID: transaction++,
    MessageType: 'JoinReq',
    SenderID: o.netId ?? '000013',
    ReceiverID: device.joinEui,
    MACVersion: device.macVersion,
    PHYPayload: (o.phy ?? joinRequestPhy(device, devNonce)).toString('hex').toUpperCase(),
    DevEUI: device.devEui,
    DevAddr: o.devAddr ?? '26011234',
    DLSettings: o.dlSettings ?? '00',
    RxDelay: o.rxDelay ?? 1,
    ...(o.cfList !== undefined ? { CFList: o.cfList } : {}),
  };
}

/** A BI AppSKeyReq envelope. */
export function appSKeyReq(device: TestDevice, sessionKeyId: string, asId: string): Record<string, unknown> {
  return {
    ProtocolVersion: '1.0', TransactionID: transaction++, MessageType: 'AppSKeyReq',
    SenderID: asId, ReceiverID: device.joinEui, DevEUI: device.devEui, SessionKeyID: sessionKeyId,
  };
}

/** POSTs a BI message with a bearer token; returns the HTTP status and parsed body. */
export async function postBi(url: string, token: string | null, message: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/bi`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof message === 'string' ? message : JSON.stringify(message),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The ResultCode of a BI answer. */
export const resultCode = (body: Record<string, unknown>) => (body['Result'] as { ResultCode?: string } | undefined)?.ResultCode;

/** RFC 3394 unwrap with node:crypto (id-aesNNN-wrap). */
export function unwrapKey(kekHex: string, wrappedHex: string): string {
  const kek = be(kekHex);
  const algorithm = kek.length === 16 ? 'id-aes128-wrap' : kek.length === 24 ? 'id-aes192-wrap' : 'id-aes256-wrap';
  const d = createDecipheriv(algorithm, kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([d.update(be(wrappedHex)), d.final()]).toString('hex').toUpperCase();
}

/** AES-128-ECB encrypt, as a LoRaWAN device "decrypts" a JoinAccept. */
function ecbEncrypt(key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * What a device would do with a JoinAns PHYPayload: decrypt it and verify its MIC, both with
 * lora-packet; then derive the session keys with lora-packet.
 */
export function deviceAcceptsJoin(device: TestDevice, devNonce: number, netIdHex: string, phyHex: string) {
  const phy = be(phyHex);
  const is11 = device.macVersion === '1.1';
  const nwkKey = be(device.nwkKey ?? device.appKey);
  const plain = Buffer.concat([phy.subarray(0, 1), ecbEncrypt(nwkKey, phy.subarray(1))]);
  const decrypted = lora.decryptJoinAccept(lora.fromWire(phy), nwkKey);
  if (!decrypted.equals(plain)) throw new Error('lora-packet and node:crypto disagree on JoinAccept decryption');
  const packet = lora.fromWire(decrypted);
  const nonce = Buffer.alloc(2);
  nonce.writeUInt16BE(devNonce);
  let micOk: boolean;
  if (is11) {
    packet.JoinEUI = be(device.joinEui);
    packet.DevNonce = nonce;
    const { JSIntKey } = lora.generateJSKeys(nwkKey, be(device.devEui));
    micOk = lora.verifyMIC(packet, JSIntKey);
  } else {
    micOk = lora.verifyMIC(packet, undefined, nwkKey);
  }
  const joinNonce = packet.AppNonce ?? Buffer.alloc(3);
  const netId = packet.NetID ?? Buffer.alloc(3);
  const keys = is11
    ? lora.generateSessionKeys11(be(device.appKey), nwkKey, be(device.joinEui), joinNonce, nonce)
    : lora.generateSessionKeys10(nwkKey, netId, joinNonce, nonce);
  const hex = (b: Buffer | undefined) => (b ?? Buffer.alloc(0)).toString('hex').toUpperCase();
  return {
    micOk,
    optNeg: packet.getDLSettingsOptNeg(),
    joinNonce: joinNonce.readUIntBE(0, 3),
    netId: hex(netId),
    devAddr: hex(packet.DevAddr),
    cfList: hex(packet.CFList),
    keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, hex(v as Buffer)])) as Record<string, string>,
    expectedNetIdMatches: hex(netId) === netIdHex.toUpperCase(),
  };
}

/**
 * Registers a random device of `macVersion` with home NetID `homeNetId` through the management
 * API (`deed device add` does the same POST), as the account of `headers`.
 */
export async function registerRandomDevice(
  baseUrl: string, headers: Record<string, string>, macVersion: MacVersion, homeNetId: string,
): Promise<TestDevice> {
  const device = randomDevice(macVersion);
  const response = await fetch(`${baseUrl}/api/v1/devices`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      devEui: device.devEui, joinEui: device.joinEui, macVersion, appKey: device.appKey,
      ...(device.nwkKey !== undefined ? { nwkKey: device.nwkKey } : {}), homeNetId,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return device;
}
