/**
 * Cross-check of the LoRaWAN core against an independent implementation, lora-packet 0.9.x
 * (crypto-js AES, aes-cmac package CMAC), on seeded random inputs: 1,000 cases per family.
 *
 * How lora-packet is driven (its conventions, not bugs):
 * - Fields are big-endian Buffers (AppEUI = JoinEUI, AppNonce = JoinNonce, NetID, DevAddr,
 *   DevNonce); it reverses them on the wire itself.
 * - JoinRequest MIC: the key is the 3rd argument ("AppKey") of fromFields/verifyMIC whatever the
 *   version; pass the 1.0.x network root key or the 1.1 NwkKey there.
 * - JoinAccept: decryptJoinAccept(packet, key) AES-*encrypts* everything after MHDR, as a device
 *   does; for 1.1 the key is NwkKey (JSEncKey for a rejoin).
 * - JoinAccept MIC: lora-packet chooses the 1.1 formula only from the OptNeg bit of the decrypted
 *   DLSettings, as a 1.1 device does. Then the MIC key is the 2nd argument ("NwkSKey") = JSIntKey,
 *   and JoinEUI/DevNonce must be set on the decoded packet by hand: fromWire cannot know them
 *   (they are not in the JoinAccept) and always sets JoinReqType = 0xFF.
 * - fromFields(JoinAccept, _, NwkSKey, AppKey) MICs with AppKey (1.0) or NwkSKey (OptNeg=1, 1.1)
 *   and encrypts with AppKey: for 1.1 pass JSIntKey as NwkSKey and NwkKey as AppKey.
 * Discrepancies found (see lora-packet-discrepancies.test.ts; our code follows the spec):
 * - fromWire accepts JoinRequests longer than 23 bytes (MIC over the extra bytes) and ignores
 *   the MHDR Major; we reject both (frame_size, unsupported_major).
 * - fromFields treats `JoinReqType: 0` (a number) as absent and uses 0xFF: a JoinAccept for a
 *   type 0 rejoin gets the wrong MIC unless JoinReqType is passed as a Buffer.
 */
import loraPacketCjs from 'lora-packet';
import { describe, expect, it } from 'vitest';
import { AesKey } from './aes-key.js';
import { DevAddr } from './dev-addr.js';
import { Eui64 } from './eui64.js';
import { buildJoinAccept10, buildJoinAccept11, type JoinAcceptFields } from './join-accept.js';
import { decodeJoinRequest, encodeJoinRequest, verifyJoinRequestMic } from './join-request.js';
import { selectRootKeys } from './key-selection.js';
import { MAC_VERSIONS, type MacVersion } from './mac-version.js';
import { NetId } from './net-id.js';
import { deriveJsEncKey, deriveJsIntKey, deriveSessionKeys10, deriveSessionKeys11 } from './session-keys.js';

// lora-packet sets `module.exports = api` (no __esModule), so Node's default import is the API;
// its .d.ts says `export default`, which TypeScript (NodeNext) types as `.default`.
const lp = loraPacketCjs as unknown as typeof loraPacketCjs.default;

const CASES_PER_FAMILY = 1000;
const VERSIONS_10 = MAC_VERSIONS.filter((v) => v !== '1.1');

/** mulberry32: small, fast, seeded; good enough to spread test inputs. */
function prng(seed: number): { int(max: number): number; bytes(n: number): Buffer } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    int: (max) => next() % max,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => next() & 0xff)),
  };
}

const be = (value: number, bytes: number): Buffer => Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex');
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const buf = (key: AesKey): Buffer => Buffer.from(key.unsafeBytes());

interface Case {
  version: MacVersion;
  appKey: AesKey | null;
  nwkKey: AesKey | null;
  joinEui: Eui64;
  devEui: Eui64;
  devNonce: number;
  fields: JoinAcceptFields;
}

function randomCase(rnd: ReturnType<typeof prng>, family: '1.0.x' | '1.1', withCfList: boolean): Case {
  const version = family === '1.1' ? '1.1' : (VERSIONS_10[rnd.int(VERSIONS_10.length)] ?? '1.0.2');
  const hasNwkKey = family === '1.1' || rnd.int(2) === 0;
  const base = {
    joinNonce: rnd.int(0x1000000),
    netId: NetId.fromBigEndian(rnd.bytes(3)),
    devAddr: DevAddr.fromBigEndian(rnd.bytes(4)),
    dlSettings: rnd.int(256),
    rxDelay: rnd.int(16),
  };
  return {
    version,
    appKey: AesKey.fromBytes(rnd.bytes(16)),
    nwkKey: hasNwkKey ? AesKey.fromBytes(rnd.bytes(16)) : null,
    joinEui: Eui64.fromBigEndian(rnd.bytes(8)),
    devEui: Eui64.fromBigEndian(rnd.bytes(8)),
    devNonce: rnd.int(0x10000),
    fields: withCfList ? { ...base, cfList: rnd.bytes(16) } : base,
  };
}

/** (a) JoinRequest: lora-packet -> ours, and ours byte-identical to lora-packet's. */
function checkJoinRequest(c: Case, micKey: AesKey): void {
  const theirs = lp.fromFields(
    {
      MType: 'Join Request',
      AppEUI: Buffer.from(c.joinEui.toBigEndian()),
      DevEUI: Buffer.from(c.devEui.toBigEndian()),
      DevNonce: be(c.devNonce, 2),
    },
    undefined, undefined, buf(micKey),
  ).getPHYPayload();
  if (!theirs) throw new Error('lora-packet built no PHYPayload');
  const request = decodeJoinRequest(theirs);
  expect(request.joinEui.equals(c.joinEui) && request.devEui.equals(c.devEui)).toBe(true);
  expect(request.devNonce).toBe(c.devNonce);
  expect(verifyJoinRequestMic(request, micKey)).toBe(true);
  const ours = encodeJoinRequest({ joinEui: c.joinEui, devEui: c.devEui, devNonce: c.devNonce }, micKey);
  expect(hex(ours)).toBe(hex(theirs));
  expect(lp.verifyMIC(lp.fromWire(Buffer.from(ours)), undefined, buf(micKey))).toBe(true);
}

/** (b) JoinAccept: lora-packet decrypts ours, checks the MIC and reads back every field. */
function checkJoinAccept(c: Case, ours: Uint8Array, encKey: AesKey, optNeg: boolean): ReturnType<typeof lp.fromWire> {
  const decrypted = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(Buffer.from(ours)), buf(encKey)));
  expect(decrypted.isJoinAcceptMessage()).toBe(true);
  expect(decrypted.getDLSettingsOptNeg()).toBe(optNeg);
  expect(hex(decrypted.AppNonce)).toBe(hex(be(c.fields.joinNonce, 3)));
  expect(hex(decrypted.NetID)).toBe(hex(c.fields.netId.toBigEndian()));
  expect(hex(decrypted.DevAddr)).toBe(hex(c.fields.devAddr.toBigEndian()));
  expect(decrypted.DLSettings?.[0]).toBe(optNeg ? c.fields.dlSettings | 0x80 : c.fields.dlSettings & 0x7f);
  expect(decrypted.getRxDelayDel()).toBe(c.fields.rxDelay);
  expect(hex(decrypted.CFList)).toBe(hex(c.fields.cfList));
  return decrypted;
}

function joinAcceptUserFields(c: Case, dlSettings: number): Parameters<typeof lp.fromFields>[0] {
  return {
    MType: 'Join Accept', AppNonce: be(c.fields.joinNonce, 3), NetID: Buffer.from(c.fields.netId.toBigEndian()),
    DevAddr: Buffer.from(c.fields.devAddr.toBigEndian()), DLSettings: dlSettings, RxDelay: c.fields.rxDelay,
    ...(c.fields.cfList ? { CFList: Buffer.from(c.fields.cfList) } : {}),
  };
}

function check10(c: Case): void {
  const root = selectRootKeys({ appKey: c.appKey, nwkKey: c.nwkKey }, c.version);
  expect(root.network).toBe(c.nwkKey ?? c.appKey);
  checkJoinRequest(c, root.network);

  const ours = buildJoinAccept10(c.fields, root.network);
  const decrypted = checkJoinAccept(c, ours, root.network, false);
  expect(lp.verifyMIC(decrypted, undefined, buf(root.network))).toBe(true);
  const theirs = lp.fromFields(joinAcceptUserFields(c, c.fields.dlSettings & 0x7f), undefined, undefined, buf(root.network));
  expect(hex(theirs.getPHYPayload() ?? undefined)).toBe(hex(ours));

  // (c) session keys
  const { joinNonce, netId } = c.fields;
  const keys = deriveSessionKeys10(root.network, { joinNonce, netId, devNonce: c.devNonce });
  const ref = lp.generateSessionKeys10(
    buf(root.network), Buffer.from(netId.toBigEndian()), be(joinNonce, 3), be(c.devNonce, 2),
  );
  expect([keys.nwkSKey.unsafeHex(), keys.appSKey.unsafeHex()]).toEqual(
    [ref.NwkSKey, ref.AppSKey].map((b) => hex(b).toUpperCase()),
  );
}

function check11(c: Case): void {
  const root = selectRootKeys({ appKey: c.appKey, nwkKey: c.nwkKey }, c.version);
  const nwkKey = root.network;
  checkJoinRequest(c, nwkKey);

  const jsIntKey = deriveJsIntKey(nwkKey, c.devEui);
  const ref = lp.generateJSKeys(buf(nwkKey), Buffer.from(c.devEui.toBigEndian()));
  expect(jsIntKey.unsafeHex()).toBe(hex(ref.JSIntKey).toUpperCase());
  expect(deriveJsEncKey(nwkKey, c.devEui).unsafeHex()).toBe(hex(ref.JSEncKey).toUpperCase());

  const ours = buildJoinAccept11(c.fields, { joinEui: c.joinEui, devNonce: c.devNonce, nwkKey, jsIntKey });
  const decrypted = checkJoinAccept(c, ours, nwkKey, true);
  expect(decrypted.JoinReqType?.[0]).toBe(0xff);
  decrypted.JoinEUI = Buffer.from(c.joinEui.toBigEndian());
  decrypted.DevNonce = be(c.devNonce, 2);
  expect(lp.verifyMIC(decrypted, buf(jsIntKey))).toBe(true);
  const userFields = {
    ...joinAcceptUserFields(c, c.fields.dlSettings | 0x80),
    AppEUI: Buffer.from(c.joinEui.toBigEndian()),
    DevNonce: be(c.devNonce, 2),
  };
  const theirs = lp.fromFields(userFields, undefined, buf(jsIntKey), buf(nwkKey));
  expect(hex(theirs.getPHYPayload() ?? undefined)).toBe(hex(ours));

  // (c) session keys
  const { joinNonce } = c.fields;
  const keys = deriveSessionKeys11(
    { nwkKey, appKey: root.application },
    { joinNonce, joinEui: c.joinEui, devNonce: c.devNonce },
  );
  const ref11 = lp.generateSessionKeys11(
    buf(root.application), buf(nwkKey), Buffer.from(c.joinEui.toBigEndian()), be(joinNonce, 3), be(c.devNonce, 2),
  );
  expect([keys.fNwkSIntKey, keys.sNwkSIntKey, keys.nwkSEncKey, keys.appSKey].map((k) => k.unsafeHex())).toEqual(
    [ref11.FNwkSIntKey, ref11.SNwkSIntKey, ref11.NwkSEncKey, ref11.AppSKey].map((b) => hex(b).toUpperCase()),
  );
}

describe('cross-check with lora-packet (seeded random)', () => {
  const families = [
    { name: '1.0.x without CFList', family: '1.0.x', cf: false, seed: 0x10a },
    { name: '1.0.x with CFList', family: '1.0.x', cf: true, seed: 0x10b },
    { name: '1.1 without CFList', family: '1.1', cf: false, seed: 0x11a },
    { name: '1.1 with CFList', family: '1.1', cf: true, seed: 0x11b },
  ] as const;

  it.each(families)(`$name: ${CASES_PER_FAMILY} cases`, ({ family, cf, seed }) => {
    const rnd = prng(seed);
    const seen = new Set<string>();
    for (let i = 0; i < CASES_PER_FAMILY; i++) {
      const c = randomCase(rnd, family, cf);
      seen.add(`${c.version}/${c.nwkKey ? 'nwk' : 'app'}`);
      if (family === '1.1') check11(c);
      else check10(c);
    }
    // every 1.0.x version, with and without NwkKey, was exercised
    expect(seen.size).toBe(family === '1.1' ? 1 : 2 * VERSIONS_10.length);
  });
});
