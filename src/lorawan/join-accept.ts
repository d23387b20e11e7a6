import { aes128EcbDecrypt, encryptBlocks } from './aes.js';
import { aesCmacOf } from './aes-cmac.js';
import { type AesKey, borrowKeyBytes } from './aes-key.js';
import { DevAddr } from './dev-addr.js';
import { LorawanError, assertBytes, assertIntegerInRange } from './errors.js';
import type { Eui64 } from './eui64.js';
import { MHDR_JOIN_ACCEPT, MTYPE_JOIN_ACCEPT, checkMhdr } from './mhdr.js';
import { NetId } from './net-id.js';

/** OptNeg, bit 7 of DLSettings: set by a LoRaWAN 1.1 network, clear for 1.0.x. */
export const DL_SETTINGS_OPT_NEG = 0x80;
/** JoinReqType of a JoinRequest (rejoin requests use their RejoinType 0x00, 0x01, 0x02). */
export const JOIN_REQ_TYPE_JOIN_REQUEST = 0xff;
/** JoinAccept PHYPayload size without CFList. */
export const JOIN_ACCEPT_BYTES = 17;
/** JoinAccept PHYPayload size with a 16-byte CFList. */
export const JOIN_ACCEPT_WITH_CF_LIST_BYTES = 33;

/** The fields of a JoinAccept, in written order (byte order is handled by the value types). */
export interface JoinAcceptFields {
  /** 0..2^24-1. */
  readonly joinNonce: number;
  readonly netId: NetId;
  readonly devAddr: DevAddr;
  /** OptNeg(bit 7) | RX1DROffset(bits 6..4) | RX2DataRate(bits 3..0). OptNeg is overridden. */
  readonly dlSettings: number;
  /** 0..15 (RxDelay.Del; RFU bits zero). */
  readonly rxDelay: number;
  /** Exactly 16 bytes when present, sent as is. */
  readonly cfList?: Uint8Array;
}

/** Validates the fields; returns the plaintext frame with 4 zero bytes left for the MIC. */
function encodePlaintext(fields: JoinAcceptFields, optNeg: boolean): Uint8Array {
  const joinNonce = assertIntegerInRange(fields.joinNonce, 0, 0xffffff, 'JoinNonce');
  const dlSettings = assertIntegerInRange(fields.dlSettings, 0, 0xff, 'DLSettings');
  const rxDelay = assertIntegerInRange(fields.rxDelay, 0, 15, 'RxDelay');
  if (!(fields.netId instanceof NetId)) throw new LorawanError('invalid_argument', 'NetID must be a NetId');
  if (!(fields.devAddr instanceof DevAddr)) throw new LorawanError('invalid_argument', 'DevAddr must be a DevAddr');
  if (fields.cfList !== undefined) {
    try {
      assertBytes(fields.cfList, 16, 'CFList');
    } catch (e) {
      throw new LorawanError('invalid_argument', e instanceof Error ? e.message : 'CFList must be 16 bytes');
    }
  }
  const frame = new Uint8Array(fields.cfList ? JOIN_ACCEPT_WITH_CF_LIST_BYTES : JOIN_ACCEPT_BYTES);
  frame[0] = MHDR_JOIN_ACCEPT;
  for (let i = 0; i < 3; i++) frame[1 + i] = (joinNonce >>> (8 * i)) & 0xff;
  fields.netId.writeLittleEndian(frame, 4);
  fields.devAddr.writeLittleEndian(frame, 7);
  frame[11] = optNeg ? dlSettings | DL_SETTINGS_OPT_NEG : dlSettings & ~DL_SETTINGS_OPT_NEG;
  frame[12] = rxDelay;
  if (fields.cfList) frame.set(fields.cfList, 13);
  return frame;
}

/** MHDR in clear, then AES-128-ECB *decrypt* of everything after it (MACPayload | MIC). */
function encryptFrame(frame: Uint8Array, key: AesKey): Uint8Array {
  const out = new Uint8Array(frame.length);
  out[0] = frame[0] ?? MHDR_JOIN_ACCEPT;
  out.set(aes128EcbDecrypt(borrowKeyBytes(key), frame.subarray(1)), 1);
  return out;
}

/**
 * Builds an encrypted LoRaWAN 1.0.x JoinAccept PHYPayload (17 or 33 bytes).
 *
 * OptNeg is forced to 0 in the DLSettings sent: a 1.0.x device must not see the 1.1 flag, and a
 * 1.1 device told OptNeg=0 falls back to 1.0 derivation, which is what this function implements.
 * MIC = `aes-cmac(key, MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | [CFList])[0..4]`
 * over the bytes actually sent; the frame is encrypted with the same key.
 * @param key the 1.0.x root key (`selectRootKeys(...).network`)
 * @throws LorawanError `invalid_argument` for out-of-range fields
 */
export function buildJoinAccept10(fields: JoinAcceptFields, key: AesKey): Uint8Array {
  const frame = encodePlaintext(fields, false);
  const macEnd = frame.length - 4;
  frame.set(aesCmacOf(key, frame.subarray(0, macEnd)).subarray(0, 4), macEnd);
  return encryptFrame(frame, key);
}

/** Extra inputs of a LoRaWAN 1.1 JoinAccept. */
export interface JoinAccept11Params {
  readonly joinEui: Eui64;
  /** DevNonce of the JoinRequest (for a rejoin: its RJcount0/RJcount1). */
  readonly devNonce: number;
  readonly nwkKey: AesKey;
  readonly jsIntKey: AesKey;
  /** 0xFF (default) for a JoinRequest; 0x00, 0x01, 0x02 for a RejoinRequest of that type. */
  readonly joinReqType?: number;
  /** Encryption key of a rejoin's JoinAccept (required when joinReqType is not 0xFF). */
  readonly jsEncKey?: AesKey;
}

/**
 * Builds an encrypted LoRaWAN 1.1 JoinAccept PHYPayload (17 or 33 bytes).
 *
 * OptNeg is forced to 1 in the DLSettings sent: a 1.1 device uses 1.1 key derivation and this
 * MIC only when OptNeg is set. MIC = `aes-cmac(JSIntKey, JoinReqType | JoinEUI | DevNonce | MHDR |
 * JoinNonce | NetID | DevAddr | DLSettings | RxDelay | [CFList])[0..4]` (multi-byte fields
 * little-endian). Encrypted with NwkKey for a JoinRequest, with JSEncKey for a rejoin.
 * @throws LorawanError `invalid_argument` for out-of-range fields, an unknown JoinReqType or a
 *   rejoin without `jsEncKey`
 */
export function buildJoinAccept11(fields: JoinAcceptFields, p: JoinAccept11Params): Uint8Array {
  const joinReqType = p.joinReqType ?? JOIN_REQ_TYPE_JOIN_REQUEST;
  if (joinReqType !== JOIN_REQ_TYPE_JOIN_REQUEST && joinReqType !== 0 && joinReqType !== 1 && joinReqType !== 2) {
    throw new LorawanError('invalid_argument', 'JoinReqType must be 0xFF, 0x00, 0x01 or 0x02');
  }
  const encryptionKey = joinReqType === JOIN_REQ_TYPE_JOIN_REQUEST ? p.nwkKey : p.jsEncKey;
  if (!encryptionKey) {
    throw new LorawanError('invalid_argument', 'a rejoin JoinAccept needs jsEncKey');
  }
  const devNonce = assertIntegerInRange(p.devNonce, 0, 0xffff, 'DevNonce');
  const frame = encodePlaintext(fields, true);
  const macInput = new Uint8Array(11 + frame.length - 4);
  macInput[0] = joinReqType;
  p.joinEui.writeLittleEndian(macInput, 1);
  macInput[9] = devNonce & 0xff;
  macInput[10] = devNonce >> 8;
  macInput.set(frame.subarray(0, frame.length - 4), 11);
  frame.set(aesCmacOf(p.jsIntKey, macInput).subarray(0, 4), frame.length - 4);
  return encryptFrame(frame, encryptionKey);
}

/** A decrypted JoinAccept. */
export interface DecodedJoinAccept {
  readonly fields: JoinAcceptFields;
  /** The 4-byte MIC as received (not verified). */
  readonly mic: Uint8Array;
  /** The whole plaintext PHYPayload: MHDR | MACPayload | MIC. */
  readonly plaintext: Uint8Array;
}

/**
 * Decrypts a JoinAccept (AES-128-ECB encrypt of everything after MHDR, as a device does) and
 * decodes its fields. Does not verify the MIC (1.1 needs JoinEUI, DevNonce and JSIntKey).
 * @param key the encryption key: 1.0.x root key, 1.1 NwkKey (JSEncKey for a rejoin)
 * @throws LorawanError `frame_size`, `not_join_accept`, `unsupported_major`, `invalid_argument`
 */
export function decodeJoinAccept(phyPayload: Uint8Array, key: AesKey): DecodedJoinAccept {
  checkMhdr(phyPayload, MTYPE_JOIN_ACCEPT, 'not_join_accept', 'JoinAccept');
  if (phyPayload.length !== JOIN_ACCEPT_BYTES && phyPayload.length !== JOIN_ACCEPT_WITH_CF_LIST_BYTES) {
    throw new LorawanError('frame_size', `JoinAccept PHYPayload must be 17 or 33 bytes, got ${phyPayload.length}`);
  }
  const plaintext = new Uint8Array(phyPayload.length);
  plaintext[0] = phyPayload[0] ?? MHDR_JOIN_ACCEPT;
  plaintext.set(encryptBlocks(key, phyPayload.subarray(1)), 1);
  const at = (i: number): number => plaintext[i] ?? 0;
  const base = {
    joinNonce: at(1) | (at(2) << 8) | (at(3) << 16),
    netId: NetId.fromLittleEndian(plaintext.subarray(4, 7)),
    devAddr: DevAddr.fromLittleEndian(plaintext.subarray(7, 11)),
    dlSettings: at(11),
    rxDelay: at(12),
  };
  const fields: JoinAcceptFields =
    plaintext.length === JOIN_ACCEPT_WITH_CF_LIST_BYTES
      ? { ...base, cfList: plaintext.slice(13, 29) }
      : base;
  return { fields, mic: plaintext.slice(plaintext.length - 4), plaintext };
}
