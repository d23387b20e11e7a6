import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aes128EcbDecrypt, aes128EcbEncrypt, aes128EncryptBlock } from './aes.js';
import { parseHex } from './hex.js';
import { codeOf } from '../../test/support/thrown.js';

interface EcbVectors {
  source: string;
  vectors: { name: string; key: string; plaintext: string; ciphertext: string }[];
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/aes-128-ecb.json', import.meta.url), 'utf8'),
) as EcbVectors;
const h = (hex: string): Uint8Array => parseHex(hex, null, 'vector');

describe('AES-128 (test-vectors/aes-128-ecb.json)', () => {
  it('names its source', () => {
    expect(file.source).toMatch(/FIPS 197/);
  });

  it.each(file.vectors)('$name', ({ key, plaintext, ciphertext }) => {
    expect(aes128EcbEncrypt(h(key), h(plaintext))).toEqual(h(ciphertext));
    expect(aes128EcbDecrypt(h(key), h(ciphertext))).toEqual(h(plaintext));
    expect(aes128EncryptBlock(h(key), h(plaintext).subarray(0, 16))).toEqual(h(ciphertext.slice(0, 32)));
  });

  it('returns plain Uint8Arrays, not Buffers', () => {
    const out = aes128EcbEncrypt(new Uint8Array(16), new Uint8Array(32));
    expect(Buffer.isBuffer(out)).toBe(false);
    expect(Buffer.isBuffer(aes128EcbDecrypt(new Uint8Array(16), out))).toBe(false);
  });

  it('handles empty input and leaves the input untouched', () => {
    const key = new Uint8Array(16);
    expect(aes128EcbEncrypt(key, new Uint8Array(0))).toHaveLength(0);
    const data = new Uint8Array(32).fill(7);
    aes128EcbEncrypt(key, data);
    aes128EcbDecrypt(key, data);
    expect(data).toEqual(new Uint8Array(32).fill(7));
  });

  it('rejects wrong key and data sizes', () => {
    expect(codeOf(() => aes128EcbEncrypt(new Uint8Array(15), new Uint8Array(16)))).toBe('invalid_length');
    expect(codeOf(() => aes128EcbEncrypt(new Uint8Array(32), new Uint8Array(16)))).toBe('invalid_length');
    expect(codeOf(() => aes128EcbEncrypt(new Uint8Array(16), new Uint8Array(17)))).toBe('invalid_length');
    expect(codeOf(() => aes128EcbDecrypt(new Uint8Array(16), new Uint8Array(15)))).toBe('invalid_length');
    expect(codeOf(() => aes128EncryptBlock(new Uint8Array(16), new Uint8Array(32)))).toBe('invalid_length');
    expect(codeOf(() => aes128EcbEncrypt('k' as unknown as Uint8Array, new Uint8Array(16)))).toBe('invalid_argument');
  });
});
