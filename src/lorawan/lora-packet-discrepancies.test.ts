/**
 * Where lora-packet 0.9.x and this module disagree, pinned down so an upgrade of either side
 * shows up. In each case our behaviour follows the LoRaWAN specification
 * (shared/spec/lorawan-join.md); lora-packet is a lenient decoder/debugging tool.
 *
 * 1. JoinRequest size: the spec fixes 23 bytes. lora-packet's fromWire only checks a minimum and
 *    happily MICs a 24-byte "JoinRequest" (the MIC then covers the extra byte). We throw
 *    `frame_size`.
 * 2. MHDR Major: only 00 (R1) exists. lora-packet ignores the Major bits. We throw
 *    `unsupported_major`.
 * 3. JoinAccept size: 17 or 33 bytes. lora-packet's fromWire accepts any length >= 17 (and only
 *    sees a CFList at exactly 33). We throw `frame_size`.
 * 4. JoinReqType 0x00 (type 0 rejoin): lora-packet's fromFields tests `!JoinReqType`, so the
 *    number 0 silently becomes 0xFF and the 1.1 MIC is computed over the wrong byte. Passing
 *    `Buffer.from([0])` works. Our buildJoinAccept11 takes 0 as 0.
 * 5. Not a bug, a consequence: lora-packet (like a 1.1 device) picks the 1.0 or 1.1 JoinAccept
 *    MIC from OptNeg in the decrypted DLSettings. A Join Server that passed the Network Server's
 *    OptNeg through unchanged would send 1.0.x devices a JoinAccept that 1.1-aware receivers check
 *    with the wrong formula. We force OptNeg=0 for 1.0.x and OptNeg=1 for 1.1.
 */
import loraPacketCjs from 'lora-packet';
import { describe, expect, it } from 'vitest';
import { aes128EcbDecrypt } from './aes.js';
import { aesCmac } from './aes-cmac.js';
import { AesKey } from './aes-key.js';
import { DevAddr } from './dev-addr.js';
import { Eui64 } from './eui64.js';
import { buildJoinAccept10, buildJoinAccept11, decodeJoinAccept } from './join-accept.js';
import { decodeJoinRequest } from './join-request.js';
import { NetId } from './net-id.js';
import { deriveJsEncKey, deriveJsIntKey } from './session-keys.js';
import { codeOf } from '../../test/support/thrown.js';

const lp = loraPacketCjs as unknown as typeof loraPacketCjs.default;
const key = Buffer.alloc(16, 0x2b);
const joinEui = Eui64.fromHex('70B3D57ED0000001');
const devEui = Eui64.fromHex('0004A30B001C0530');
const fields = {
  joinNonce: 0x0a0b0c,
  netId: NetId.fromHex('000013'),
  devAddr: DevAddr.fromHex('26011BDA'),
  dlSettings: 0x03,
  rxDelay: 1,
};

function joinRequest(): Buffer {
  const frame = lp
    .fromFields(
      {
        MType: 'Join Request',
        AppEUI: Buffer.from(joinEui.toBigEndian()),
        DevEUI: Buffer.from(devEui.toBigEndian()),
        DevNonce: Buffer.from('0102', 'hex'),
      },
      undefined, undefined, key,
    )
    .getPHYPayload();
  if (!frame) throw new Error('lora-packet built no PHYPayload');
  return frame;
}

describe('lora-packet discrepancies (ours follows the spec)', () => {
  it('1. lora-packet accepts and MICs a 24-byte JoinRequest; we reject it', () => {
    const oversized = lp.fromWire(Buffer.concat([joinRequest().subarray(0, 19), Buffer.from([0x55]), Buffer.alloc(4)]));
    lp.recalculateMIC(oversized, undefined, key);
    const wire = oversized.getPHYPayload();
    if (!wire) throw new Error('no PHYPayload');
    expect(wire).toHaveLength(24);
    expect(lp.verifyMIC(lp.fromWire(wire), undefined, key)).toBe(true);
    expect(codeOf(() => decodeJoinRequest(wire))).toBe('frame_size');
  });

  it('2. lora-packet ignores the MHDR Major; we reject Major != 00', () => {
    const frame = joinRequest();
    frame[0] = 0x01;
    expect(lp.fromWire(frame).isJoinRequestMessage()).toBe(true);
    expect(codeOf(() => decodeJoinRequest(frame))).toBe('unsupported_major');
  });

  it('3. lora-packet accepts a 25-byte JoinAccept; we reject it', () => {
    const frame = Buffer.concat([Buffer.from([0x20]), Buffer.alloc(24)]);
    const parsed = lp.fromWire(frame);
    expect(parsed.isJoinAcceptMessage()).toBe(true);
    expect(parsed.CFList).toHaveLength(0);
    expect(codeOf(() => decodeJoinAccept(frame, AesKey.fromBytes(key)))).toBe('frame_size');
  });

  it('4. lora-packet turns JoinReqType 0 (a number) into 0xFF; a Buffer works and matches ours', () => {
    const nwkKey = AesKey.fromBytes(key);
    const jsIntKey = deriveJsIntKey(nwkKey, devEui);
    const jsEncKey = deriveJsEncKey(nwkKey, devEui);
    const ours = buildJoinAccept11(fields, { joinEui, devNonce: 0x0102, nwkKey, jsIntKey, joinReqType: 0, jsEncKey });
    const userFields = {
      MType: 'Join Accept', AppNonce: Buffer.from('0a0b0c', 'hex'), NetID: Buffer.from(fields.netId.toBigEndian()),
      DevAddr: Buffer.from(fields.devAddr.toBigEndian()), DLSettings: fields.dlSettings | 0x80, RxDelay: fields.rxDelay,
      AppEUI: Buffer.from(joinEui.toBigEndian()), DevNonce: Buffer.from('0102', 'hex'),
    };
    const jsInt = Buffer.from(jsIntKey.unsafeBytes());
    const jsEnc = Buffer.from(jsEncKey.unsafeBytes());
    const withNumber = lp.fromFields({ ...userFields, JoinReqType: 0 }, undefined, jsInt, jsEnc);
    expect(withNumber.JoinReqType).toEqual(Buffer.from([0xff]));
    expect(withNumber.getPHYPayload()).not.toEqual(Buffer.from(ours));
    const withBuffer = lp.fromFields({ ...userFields, JoinReqType: Buffer.from([0]) }, undefined, jsInt, jsEnc);
    expect(withBuffer.getPHYPayload()).toEqual(Buffer.from(ours));
  });

  it('5. OptNeg decides the MIC formula: our 1.0.x JoinAccept clears it, lora-packet verifies it as 1.0', () => {
    const rootKey = AesKey.fromBytes(key);
    const ours = buildJoinAccept10({ ...fields, dlSettings: 0xff }, rootKey);
    const decrypted = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(Buffer.from(ours)), key));
    expect(decrypted.getDLSettingsOptNeg()).toBe(false);
    expect(lp.verifyMIC(decrypted, undefined, key)).toBe(true);
    // Had the Join Server left OptNeg set (1.0 MIC, DLSettings 0x83), lora-packet would apply the
    // 1.1 formula, which needs JoinEUI/DevNonce that the frame does not carry.
    const plain = Buffer.from(decodeJoinAccept(ours, rootKey).plaintext);
    plain[11] = 0x83;
    plain.set(aesCmac(key, plain.subarray(0, 13)).subarray(0, 4), 13);
    const leftSet = Buffer.concat([plain.subarray(0, 1), aes128EcbDecrypt(key, plain.subarray(1))]);
    const reparsed = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(leftSet), key));
    expect(reparsed.getDLSettingsOptNeg()).toBe(true);
    expect(() => lp.verifyMIC(reparsed, undefined, key)).toThrow(/JoinEUI/);
  });
});
