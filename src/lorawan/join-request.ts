import { timingSafeEqual } from 'node:crypto';
import { aesCmacOf } from './aes-cmac.js';
import { AesKey } from './aes-key.js';
import { LorawanError, assertBytes, assertIntegerInRange } from './errors.js';
import { Eui64 } from './eui64.js';
import { MHDR_JOIN_REQUEST, MTYPE_JOIN_REQUEST, checkMhdr } from './mhdr.js';

/** Size of a JoinRequest PHYPayload: MHDR(1) JoinEUI(8) DevEUI(8) DevNonce(2) MIC(4). */
export const JOIN_REQUEST_BYTES = 23;
/** Bytes covered by the JoinRequest MIC: everything before it. */
export const JOIN_REQUEST_MIC_PAYLOAD_BYTES = 19;

/** A decoded JoinRequest. Byte arrays are copies, not views into the input. */
export interface JoinRequest {
  readonly joinEui: Eui64;
  readonly devEui: Eui64;
  /** DevNonce as a number (sent little-endian). */
  readonly devNonce: number;
  /** The 4-byte MIC as received. */
  readonly mic: Uint8Array;
  /** The first 19 bytes (MHDR | JoinEUI | DevEUI | DevNonce), the input of the MIC. */
  readonly micPayload: Uint8Array;
}

/**
 * Decodes a JoinRequest PHYPayload (does not check the MIC: see {@link verifyJoinRequestMic}).
 *
 * Checks in this order: non-empty, MType 000, Major 00, then exactly 23 bytes.
 * @throws LorawanError `invalid_argument` (not a Uint8Array), `frame_size`, `not_join_request`,
 *   `unsupported_major`
 */
export function decodeJoinRequest(phyPayload: Uint8Array): JoinRequest {
  checkMhdr(phyPayload, MTYPE_JOIN_REQUEST, 'not_join_request', 'JoinRequest');
  if (phyPayload.length !== JOIN_REQUEST_BYTES) {
    throw new LorawanError(
      'frame_size',
      `JoinRequest PHYPayload must be ${JOIN_REQUEST_BYTES} bytes, got ${phyPayload.length}`,
    );
  }
  return {
    joinEui: Eui64.fromLittleEndian(phyPayload.subarray(1, 9)),
    devEui: Eui64.fromLittleEndian(phyPayload.subarray(9, 17)),
    devNonce: (phyPayload[17] ?? 0) | ((phyPayload[18] ?? 0) << 8),
    mic: new Uint8Array(phyPayload.subarray(JOIN_REQUEST_MIC_PAYLOAD_BYTES)),
    micPayload: new Uint8Array(phyPayload.subarray(0, JOIN_REQUEST_MIC_PAYLOAD_BYTES)),
  };
}

/**
 * The JoinRequest MIC: first 4 bytes of `aes-cmac(key, MHDR | JoinEUI | DevEUI | DevNonce)`.
 * `key` is NwkKey for LoRaWAN 1.1, the network root key of `selectRootKeys` for 1.0.x.
 * @param micPayload the first 19 bytes of the PHYPayload
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function computeJoinRequestMic(key: AesKey, micPayload: Uint8Array): Uint8Array {
  assertBytes(micPayload, JOIN_REQUEST_MIC_PAYLOAD_BYTES, 'JoinRequest MIC payload');
  return aesCmacOf(key, micPayload).subarray(0, 4);
}

/** True when the request's MIC matches `key` (constant-time comparison). */
export function verifyJoinRequestMic(request: JoinRequest, key: AesKey): boolean {
  const expected = computeJoinRequestMic(key, request.micPayload);
  return request.mic.length === expected.length && timingSafeEqual(expected, request.mic);
}

/**
 * Builds a 23-byte JoinRequest PHYPayload with its MIC (for tests, simulators and benchmarks).
 * @throws LorawanError `invalid_argument` when devNonce is not an integer in 0..65535
 */
export function encodeJoinRequest(
  fields: { readonly joinEui: Eui64; readonly devEui: Eui64; readonly devNonce: number },
  key: AesKey,
): Uint8Array {
  const devNonce = assertIntegerInRange(fields.devNonce, 0, 0xffff, 'DevNonce');
  const frame = new Uint8Array(JOIN_REQUEST_BYTES);
  frame[0] = MHDR_JOIN_REQUEST;
  fields.joinEui.writeLittleEndian(frame, 1);
  fields.devEui.writeLittleEndian(frame, 9);
  frame[17] = devNonce & 0xff;
  frame[18] = devNonce >> 8;
  frame.set(computeJoinRequestMic(key, frame.subarray(0, JOIN_REQUEST_MIC_PAYLOAD_BYTES)), 19);
  return frame;
}
