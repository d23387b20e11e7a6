import { LorawanError } from './errors.js';

const HEX_DIGITS = '0123456789ABCDEF';
const BYTE_TO_HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `${HEX_DIGITS[b >> 4] ?? ''}${HEX_DIGITS[b & 0x0f] ?? ''}`,
);

/** Value of one hex digit (0-9, a-f, A-F) from its char code, or -1. */
function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Parses a hex string into a fresh, unpooled `Uint8Array`.
 *
 * Accepts upper and lower case and an optional `0x`/`0X` prefix; nothing else (no spaces, no
 * separators). Error messages name `what` and the length but never echo the input, which may be
 * a key.
 *
 * @param value the untrusted input
 * @param byteLength the exact number of bytes required, or `null` for any length
 * @param what a human name for the value, used in error messages (e.g. `"DevEUI"`)
 * @throws LorawanError `invalid_hex` for a non-string, odd length or non-hex character;
 *   `invalid_length` for the wrong number of bytes
 */
export function parseHex(value: unknown, byteLength: number | null, what: string): Uint8Array {
  if (typeof value !== 'string') {
    throw new LorawanError('invalid_hex', `${what} must be a hex string`);
  }
  const start = value.startsWith('0x') || value.startsWith('0X') ? 2 : 0;
  const digits = value.length - start;
  if (digits % 2 !== 0) {
    throw new LorawanError('invalid_hex', `${what} must have an even number of hex digits`);
  }
  // Validate every character before allocating, so bad input never reaches a buffer.
  for (let i = start; i < value.length; i++) {
    if (nibble(value.charCodeAt(i)) < 0) {
      throw new LorawanError('invalid_hex', `${what} must contain only hex digits`);
    }
  }
  if (byteLength !== null && digits !== byteLength * 2) {
    throw new LorawanError(
      'invalid_length',
      `${what} must be ${byteLength} bytes (${byteLength * 2} hex digits), got ${digits / 2} bytes`,
    );
  }
  const out = new Uint8Array(digits / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = (nibble(value.charCodeAt(start + 2 * i)) << 4) | nibble(value.charCodeAt(start + 2 * i + 1));
  }
  return out;
}

/** Upper-case hex of `bytes`, without prefix or separators. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_HEX[b] ?? '';
  return s;
}

/** A reversed copy of `bytes` (little-endian <-> big-endian). */
export function reversedCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i] ?? 0;
  return out;
}
