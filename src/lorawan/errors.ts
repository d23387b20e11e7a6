import { DeedError } from '../shared/deed-error.js';

/**
 * Stable codes of the LoRaWAN core. They are part of the public contract: transports map them
 * (HTTP problem type, Backend Interfaces `ResultCode`, CLI exit code) in exactly one place each.
 *
 * - `invalid_hex`: a hex string is not a string, has an odd length or a non-hex character.
 * - `invalid_length`: a value has the wrong number of bytes (EUI, key, AES block, key wrap input).
 * - `frame_size`: a PHYPayload has the wrong size for its message type.
 * - `not_join_request` / `not_join_accept`: the MHDR carries another MType.
 * - `unsupported_major`: the MHDR Major is not LoRaWAN R1 (00).
 * - `missing_nwk_key` / `missing_app_key`: the device lacks the root key its MAC version needs.
 * - `unwrap_failed`: RFC 3394 key unwrap failed its integrity check (wrong KEK or tampered data).
 * - `invalid_argument`: a numeric field is out of range or an argument has the wrong type.
 * - `invalid_qr`: a device QR code text (TR005 or a draft) cannot be parsed, or a `DeviceQr`
 *   cannot be written as TR005 (missing JoinEUI/ProfileID, a value containing `:`).
 */
export type LorawanErrorCode =
  | 'invalid_hex'
  | 'invalid_length'
  | 'frame_size'
  | 'not_join_request'
  | 'not_join_accept'
  | 'unsupported_major'
  | 'missing_nwk_key'
  | 'missing_app_key'
  | 'unwrap_failed'
  | 'invalid_argument'
  | 'invalid_qr';

/**
 * Error thrown by the LoRaWAN core. Messages name the offending field and, at most, its length or
 * numeric range; they never contain key bytes or any other input content.
 */
export class LorawanError extends DeedError {
  declare readonly code: LorawanErrorCode;

  constructor(code: LorawanErrorCode, message: string) {
    super(code, message);
    this.name = 'LorawanError';
  }
}

/** Throws `invalid_argument` unless `value` is an integer in `[min, max]`. */
export function assertIntegerInRange(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LorawanError('invalid_argument', `${what} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Throws `invalid_argument` unless `value` is a Uint8Array, `invalid_length` unless of `length` bytes. */
export function assertBytes(value: unknown, length: number | readonly number[], what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', `${what} must be a Uint8Array`);
  }
  const allowed = typeof length === 'number' ? [length] : length;
  if (!allowed.includes(value.length)) {
    throw new LorawanError(
      'invalid_length',
      `${what} must be ${allowed.join(' or ')} bytes, got ${value.length}`,
    );
  }
  return value;
}
