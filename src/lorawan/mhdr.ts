import { LorawanError } from './errors.js';

/** MType of a JoinRequest (the 3 most significant bits of MHDR). */
export const MTYPE_JOIN_REQUEST = 0b000;
/** MType of a JoinAccept. */
export const MTYPE_JOIN_ACCEPT = 0b001;

/** MHDR byte of a JoinRequest: MType 000, RFU 000, Major 00 (LoRaWAN R1). */
export const MHDR_JOIN_REQUEST = MTYPE_JOIN_REQUEST << 5;
/** MHDR byte of a JoinAccept: MType 001, RFU 000, Major 00 (LoRaWAN R1). */
export const MHDR_JOIN_ACCEPT = MTYPE_JOIN_ACCEPT << 5;

/**
 * Checks the MHDR (first byte) of a PHYPayload: throws `frame_size` for an empty frame,
 * `not_join_request`/`not_join_accept` (per `code`) for another MType and `unsupported_major`
 * for a Major other than 00. RFU bits are ignored, as the specification asks of receivers.
 */
export function checkMhdr(
  phyPayload: Uint8Array,
  mtype: number,
  code: 'not_join_request' | 'not_join_accept',
  what: string,
): void {
  if (!(phyPayload instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', `${what} PHYPayload must be a Uint8Array`);
  }
  const mhdr = phyPayload[0];
  if (mhdr === undefined) {
    throw new LorawanError('frame_size', `${what} PHYPayload is empty`);
  }
  if (mhdr >> 5 !== mtype) {
    throw new LorawanError(code, `PHYPayload has MType ${mhdr >> 5}, not a ${what} (${mtype})`);
  }
  if ((mhdr & 0b11) !== 0) {
    throw new LorawanError('unsupported_major', `${what} has LoRaWAN Major ${mhdr & 0b11}, only 0 (R1) is supported`);
  }
}
