import { createCipheriv, type Cipher } from 'node:crypto';
import { AES_BLOCK_BYTES, asUint8Array, encryptorOf } from './aes.js';
import type { AesKey } from './aes-key.js';
import { LorawanError, assertBytes } from './errors.js';

const RB = 0x87;

/** `out = in << 1` over 128 bits, xor Rb when the shifted-out bit was set (RFC 4493 2.3). */
function double(out: Uint8Array, input: Uint8Array): void {
  const msb = (input[0] ?? 0) & 0x80;
  for (let i = 0; i < AES_BLOCK_BYTES - 1; i++) {
    out[i] = (((input[i] ?? 0) << 1) | ((input[i + 1] ?? 0) >> 7)) & 0xff;
  }
  out[AES_BLOCK_BYTES - 1] = (((input[AES_BLOCK_BYTES - 1] ?? 0) << 1) & 0xff) ^ (msb ? RB : 0);
}

/**
 * AES-CMAC (RFC 4493) with a 128-bit key.
 *
 * One AES-ECB context serves both the subkey generation and the CBC-MAC chain, so a LoRaWAN MIC
 * costs one cipher context. Intermediate values derived from the key are zeroed before returning.
 *
 * @param key 16 bytes
 * @param message any length, including empty
 * @returns the 16-byte tag (LoRaWAN MICs are its first 4 bytes)
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  assertBytes(key, AES_BLOCK_BYTES, 'AES-CMAC key');
  if (!(message instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', 'AES-CMAC message must be a Uint8Array');
  }
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const tag = cmac(cipher, message);
  cipher.final();
  return tag;
}

/**
 * AES-CMAC under an {@link AesKey}, with the key's shared ECB context (`encryptorOf`): a join's
 * MICs and key derivations under one root key use one cipher context.
 * @internal
 */
export function aesCmacOf(key: AesKey, message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', 'AES-CMAC message must be a Uint8Array');
  }
  return cmac(encryptorOf(key), message);
}

/** RFC 4493 over an AES-128-ECB context (no padding), which it leaves usable. */
function cmac(cipher: Cipher, message: Uint8Array): Uint8Array {
  const x = new Uint8Array(AES_BLOCK_BYTES);
  const l = cipher.update(x); // L = AES-128(K, 0^128)
  const subkey = new Uint8Array(AES_BLOCK_BYTES);
  double(subkey, l); // K1
  const blocks = Math.max(1, Math.ceil(message.length / AES_BLOCK_BYTES));
  const lastComplete = message.length > 0 && message.length % AES_BLOCK_BYTES === 0;
  if (!lastComplete) double(subkey, subkey); // K2 (in place is safe: byte i reads i and i+1 first)

  // CBC-MAC over all blocks but the last; x stays the chaining value (starts at zero).
  for (let b = 0; b < blocks - 1; b++) {
    const base = b * AES_BLOCK_BYTES;
    for (let i = 0; i < AES_BLOCK_BYTES; i++) x[i] = (x[i] ?? 0) ^ (message[base + i] ?? 0);
    x.set(cipher.update(x));
  }
  // Last block: complete -> M_n xor K1; otherwise pad with 10..0 and xor K2.
  const base = (blocks - 1) * AES_BLOCK_BYTES;
  const remaining = message.length - base;
  for (let i = 0; i < AES_BLOCK_BYTES; i++) {
    const m = i < remaining ? (message[base + i] ?? 0) : i === remaining ? 0x80 : 0;
    x[i] = (x[i] ?? 0) ^ m ^ (subkey[i] ?? 0);
  }
  const tag = cipher.update(x);
  l.fill(0);
  subkey.fill(0);
  x.fill(0);
  return asUint8Array(tag);
}
