import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aes128EcbDecrypt } from './aes.js';
import { aesCmac } from './aes-cmac.js';
import { AesKey } from './aes-key.js';
import { DevAddr } from './dev-addr.js';
import { Eui64 } from './eui64.js';
import { parseHex } from './hex.js';
import { buildJoinAccept10, buildJoinAccept11, decodeJoinAccept, type JoinAcceptFields } from './join-accept.js';
import { NetId } from './net-id.js';
import { codeOf } from '../../test/support/thrown.js';

interface FrameVectors {
  source: string;
  key: string;
  joinAcceptMic10: {
    input: string;
    expected: string;
    fields: { joinNonce: number; netId: string; devAddr: string; dlSettings: number; rxDelay: number };
  };
  joinAcceptEncryption: { input: string; expected: string };
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/lorawan-frames.json', import.meta.url), 'utf8'),
) as FrameVectors;
const h = (hex: string): Uint8Array => parseHex(hex.replace(/\s+/g, ''), null, 'vector');
const key = AesKey.fromHex(file.key);
const v = file.joinAcceptMic10;
const vectorFields: JoinAcceptFields = {
  joinNonce: v.fields.joinNonce,
  netId: NetId.fromHex(v.fields.netId),
  devAddr: DevAddr.fromHex(v.fields.devAddr),
  dlSettings: v.fields.dlSettings,
  rxDelay: v.fields.rxDelay,
};
const nwkKey = AesKey.fromBytes(randomBytes(16));
const jsIntKey = AesKey.fromBytes(randomBytes(16));
const jsEncKey = AesKey.fromBytes(randomBytes(16));
const joinEui = Eui64.fromHex('70B3D57ED0000001');
const cfList = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

/** MIC of a 1.1 JoinAccept computed independently from the decoded plaintext. */
function mic11(plaintext: Uint8Array, joinReqType: number, devNonce: number): Uint8Array {
  const input = new Uint8Array([
    joinReqType, ...joinEui.toLittleEndian(), devNonce & 0xff, devNonce >> 8, ...plaintext.subarray(0, -4),
  ]);
  return aesCmac(jsIntKey.unsafeBytes(), input).subarray(0, 4);
}

describe('JoinAccept 1.0.x (test-vectors/lorawan-frames.json)', () => {
  it('names its source', () => {
    expect(file.source).toMatch(/The Things Stack/);
  });

  it('the MIC and encryption vectors hold for the building blocks', () => {
    expect(aesCmac(key.unsafeBytes(), h(v.input)).subarray(0, 4)).toEqual(h(v.expected));
    const enc = file.joinAcceptEncryption;
    expect(aes128EcbDecrypt(key.unsafeBytes(), h(enc.input))).toEqual(h(enc.expected));
  });

  it('buildJoinAccept10 produces MHDR | the encryption vector', () => {
    const frame = buildJoinAccept10(vectorFields, key);
    expect(frame).toEqual(h(`20${file.joinAcceptEncryption.expected}`));
  });

  it('decodeJoinAccept recovers the fields, MIC and plaintext of the vector', () => {
    const decoded = decodeJoinAccept(h(`20${file.joinAcceptEncryption.expected}`), key);
    expect(decoded.mic).toEqual(h(v.expected));
    expect(decoded.plaintext).toEqual(h(`${v.input}${v.expected}`));
    expect(decoded.fields.joinNonce).toBe(v.fields.joinNonce);
    expect(decoded.fields.netId.toHex()).toBe(v.fields.netId);
    expect(decoded.fields.devAddr.toHex()).toBe(v.fields.devAddr);
    expect(decoded.fields.dlSettings).toBe(v.fields.dlSettings);
    expect(decoded.fields.rxDelay).toBe(v.fields.rxDelay);
    expect(decoded.fields.cfList).toBeUndefined();
  });

  it('forces OptNeg to 0 and MICs the DLSettings byte actually sent', () => {
    const frame = buildJoinAccept10({ ...vectorFields, dlSettings: 0x80 | 0x35 }, key);
    const { fields, plaintext, mic } = decodeJoinAccept(frame, key);
    expect(fields.dlSettings).toBe(0x35);
    expect(aesCmac(key.unsafeBytes(), plaintext.subarray(0, -4)).subarray(0, 4)).toEqual(mic);
    expect(frame).toEqual(buildJoinAccept10({ ...vectorFields, dlSettings: 0x35 }, key));
  });

  it('carries a CFList (33 bytes, MIC covers it)', () => {
    const frame = buildJoinAccept10({ ...vectorFields, cfList }, key);
    expect(frame).toHaveLength(33);
    const { fields, plaintext, mic } = decodeJoinAccept(frame, key);
    expect(fields.cfList).toEqual(cfList);
    expect(aesCmac(key.unsafeBytes(), plaintext.subarray(0, -4)).subarray(0, 4)).toEqual(mic);
  });
});

describe('JoinAccept 1.1', () => {
  const p = { joinEui, devNonce: 0x0102, nwkKey, jsIntKey };

  it('forces OptNeg to 1, MICs with JSIntKey over JoinReqType|JoinEUI|DevNonce|frame, encrypts with NwkKey', () => {
    for (const cf of [undefined, cfList]) {
      const base = { ...vectorFields, dlSettings: 0x12 };
      const fields: JoinAcceptFields = cf ? { ...base, cfList: cf } : base;
      const frame = buildJoinAccept11(fields, p);
      expect(frame).toHaveLength(cf ? 33 : 17);
      const decoded = decodeJoinAccept(frame, nwkKey);
      expect(decoded.fields.dlSettings).toBe(0x92);
      expect(decoded.mic).toEqual(mic11(decoded.plaintext, 0xff, p.devNonce));
      expect(buildJoinAccept11(fields, { ...p, joinReqType: 0xff })).toEqual(frame);
    }
  });

  it('uses JSEncKey and the given JoinReqType for rejoins', () => {
    for (const joinReqType of [0, 1, 2]) {
      const frame = buildJoinAccept11(vectorFields, { ...p, joinReqType, jsEncKey });
      const decoded = decodeJoinAccept(frame, jsEncKey);
      expect(decoded.mic).toEqual(mic11(decoded.plaintext, joinReqType, p.devNonce));
    }
    expect(codeOf(() => buildJoinAccept11(vectorFields, { ...p, joinReqType: 0 }))).toBe('invalid_argument');
    for (const joinReqType of [3, 0xfe, -1, 256, 1.5]) {
      expect(codeOf(() => buildJoinAccept11(vectorFields, { ...p, joinReqType, jsEncKey }))).toBe('invalid_argument');
    }
  });

  it('rejects a bad DevNonce', () => {
    for (const devNonce of [-1, 0x10000, 0.5]) {
      expect(codeOf(() => buildJoinAccept11(vectorFields, { ...p, devNonce }))).toBe('invalid_argument');
    }
  });
});

describe('JoinAccept validation', () => {
  const build = (patch: Partial<Record<keyof JoinAcceptFields, unknown>>): (() => unknown) => () =>
    buildJoinAccept10({ ...vectorFields, ...patch } as JoinAcceptFields, key);

  it('accepts the extremes', () => {
    expect(build({ joinNonce: 0, dlSettings: 0, rxDelay: 0 })).not.toThrow();
    expect(build({ joinNonce: 0xffffff, dlSettings: 0xff, rxDelay: 15 })).not.toThrow();
  });

  it.each([
    ['joinNonce', -1], ['joinNonce', 0x1000000], ['joinNonce', 1.5], ['joinNonce', '1'],
    ['rxDelay', 16], ['rxDelay', -1], ['rxDelay', Number.NaN],
    ['dlSettings', 256], ['dlSettings', -1], ['dlSettings', 0.5],
    ['cfList', new Uint8Array(15)], ['cfList', new Uint8Array(17)], ['cfList', new Uint8Array(0)], ['cfList', 'x'],
    ['netId', '010203'], ['devAddr', null],
  ])('rejects %s = %o with invalid_argument', (field, value) => {
    expect(codeOf(build({ [field]: value }))).toBe('invalid_argument');
  });
});

describe('decodeJoinAccept errors', () => {
  const good = buildJoinAccept10(vectorFields, key);

  it('rejects wrong sizes with frame_size', () => {
    for (const length of [0, 1, 16, 18, 23, 32, 34, 64]) {
      const frame = new Uint8Array(length);
      if (length > 0) frame[0] = 0x20;
      expect(codeOf(() => decodeJoinAccept(frame, key))).toBe('frame_size');
    }
  });

  it('rejects other MTypes and Majors', () => {
    for (let mtype = 0; mtype < 8; mtype++) {
      if (mtype === 1) continue;
      const frame = good.slice();
      frame[0] = mtype << 5;
      expect(codeOf(() => decodeJoinAccept(frame, key))).toBe('not_join_accept');
    }
    const frame = good.slice();
    frame[0] = 0x21;
    expect(codeOf(() => decodeJoinAccept(frame, key))).toBe('unsupported_major');
  });

  it('a wrong key decrypts to a MIC mismatch, not an error', () => {
    const decoded = decodeJoinAccept(good, nwkKey);
    expect(aesCmac(nwkKey.unsafeBytes(), decoded.plaintext.subarray(0, -4)).subarray(0, 4)).not.toEqual(decoded.mic);
  });
});
