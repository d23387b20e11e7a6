import { createCipheriv, createDecipheriv, type Cipher } from 'node:crypto';
import { type AesKey, borrowKeyBytes } from './aes-key.js';
import { LorawanError, assertBytes } from './errors.js';

/** AES block size in bytes. */
export const AES_BLOCK_BYTES = 16;

/**
 * A plain `Uint8Array` view of a Buffer returned by node:crypto, without copying: the public API
 * returns plain `Uint8Array`s only (no `Buffer.prototype.slice` aliasing surprises).
 */
export function asUint8Array(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

function assertBlocks(data: Uint8Array, what: string): void {
  if (!(data instanceof Uint8Array)) {
    throw new LorawanError('invalid_argument', `${what} must be a Uint8Array`);
  }
  if (data.length % AES_BLOCK_BYTES !== 0) {
    throw new LorawanError(
      'invalid_length',
      `${what} must be a multiple of ${AES_BLOCK_BYTES} bytes, got ${data.length}`,
    );
  }
}

/**
 * AES-128-ECB encryption of whole blocks, no padding. One cipher context and one output buffer
 * per call, whatever the number of blocks: derive several keys with one call.
 * @param key 16 bytes
 * @param data a multiple of 16 bytes (may be empty)
 * @returns the ciphertext, same length as `data`
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function aes128EcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, AES_BLOCK_BYTES, 'AES-128 key');
  assertBlocks(data, 'AES-ECB input');
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  // With padding off, update() returns every whole block and final() returns nothing.
  const out = cipher.update(data);
  cipher.final();
  return asUint8Array(out);
}

/**
 * AES-128-ECB decryption of whole blocks, no padding. LoRaWAN "encrypts" a JoinAccept with it.
 * @param key 16 bytes
 * @param data a multiple of 16 bytes (may be empty)
 * @returns the plaintext, same length as `data`
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function aes128EcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, AES_BLOCK_BYTES, 'AES-128 key');
  assertBlocks(data, 'AES-ECB input');
  const decipher = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const out = decipher.update(data);
  decipher.final();
  return asUint8Array(out);
}

/**
 * AES-128 encryption of exactly one 16-byte block.
 * @throws LorawanError `invalid_argument` or `invalid_length`
 */
export function aes128EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  assertBytes(block, AES_BLOCK_BYTES, 'AES block');
  return aes128EcbEncrypt(key, block);
}

const encryptors = new WeakMap<AesKey, Cipher>();

/**
 * The AES-128-ECB encryption context of an {@link AesKey}, created on first use and kept with
 * the key object (a WeakMap entry, gone with the key): the JoinRequest MIC check, the session-key
 * derivation and the JoinAccept MIC of one join share one OpenSSL context instead of creating
 * one each. ECB keeps no state between blocks, so its `update` calls are independent.
 * @internal
 */
export function encryptorOf(key: AesKey): Cipher {
  let cipher = encryptors.get(key);
  if (cipher === undefined) {
    cipher = createCipheriv('aes-128-ecb', borrowKeyBytes(key), null).setAutoPadding(false);
    encryptors.set(key, cipher);
  }
  return cipher;
}

/**
 * AES-128-ECB encryption of whole blocks under `key`, with its shared context ({@link encryptorOf}).
 * @internal
 */
export function encryptBlocks(key: AesKey, data: Uint8Array): Uint8Array {
  assertBlocks(data, 'AES-ECB input');
  return asUint8Array(encryptorOf(key).update(data));
}
