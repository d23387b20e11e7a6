import { createCipheriv, createDecipheriv } from 'node:crypto';
import { asUint8Array } from './aes.js';
import { LorawanError, assertBytes } from './errors.js';

/** RFC 3394 default initial value A6A6A6A6A6A6A6A6. */
const DEFAULT_IV = new Uint8Array([0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6]);

const WRAP_CIPHERS: Readonly<Record<number, string>> = {
  16: 'id-aes128-wrap',
  24: 'id-aes192-wrap',
  32: 'id-aes256-wrap',
};

function cipherFor(kek: Uint8Array): string {
  assertBytes(kek, [16, 24, 32], 'KEK');
  const name = WRAP_CIPHERS[kek.length];
  if (!name) throw new LorawanError('invalid_length', 'KEK must be 16, 24 or 32 bytes');
  return name;
}

function assertSemiblocks(data: Uint8Array, min: number, what: string): void {
  if (!(data instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', `${what} must be a Uint8Array`);
  }
  if (data.length % 8 !== 0 || data.length < min) {
    throw new LorawanError(
      'invalid_length',
      `${what} must be a multiple of 8 bytes and at least ${min}, got ${data.length}`,
    );
  }
}

/**
 * RFC 3394 AES key wrap with the default IV (as LoRaWAN Backend Interfaces wraps session keys
 * for a Network or Application Server).
 *
 * Uses OpenSSL's `id-aes{128,192,256}-wrap` through node:crypto; the RFC 3394 section 4 vectors
 * are checked in key-wrap.test.ts.
 * @param kek key-encryption key, 16, 24 or 32 bytes
 * @param plaintext key data, a multiple of 8 bytes, at least 16
 * @returns the wrapped key, 8 bytes longer than `plaintext`
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function wrapKey(kek: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const name = cipherFor(kek);
  assertSemiblocks(plaintext, 16, 'key data to wrap');
  const cipher = createCipheriv(name, kek, DEFAULT_IV);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  if (tail.length === 0) return asUint8Array(head);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * RFC 3394 AES key unwrap with the default IV. The integrity check (recovered IV equals
 * A6A6A6A6A6A6A6A6) is done by OpenSSL with a constant-time comparison (CRYPTO_memcmp);
 * nothing is returned when it fails.
 * @param kek key-encryption key, 16, 24 or 32 bytes
 * @param wrapped a multiple of 8 bytes, at least 24
 * @returns the key data, 8 bytes shorter than `wrapped`
 * @throws LorawanError `unwrap_failed` (wrong KEK or tampered data), `invalid_argument`,
 *   `invalid_length`
 */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const name = cipherFor(kek);
  assertSemiblocks(wrapped, 24, 'wrapped key');
  let head: Uint8Array;
  let tail: Uint8Array;
  try {
    const decipher = createDecipheriv(name, kek, DEFAULT_IV);
    head = decipher.update(wrapped);
    tail = decipher.final();
  } catch {
    throw new LorawanError('unwrap_failed', 'key unwrap failed its integrity check (wrong KEK or corrupted data)');
  }
  if (head.length + tail.length !== wrapped.length - 8) {
    throw new LorawanError('unwrap_failed', 'key unwrap failed its integrity check (wrong KEK or corrupted data)');
  }
  if (tail.length === 0) return asUint8Array(head);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
