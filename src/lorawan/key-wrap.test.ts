import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseHex } from './hex.js';
import { unwrapKey, wrapKey } from './key-wrap.js';
import { codeOf } from '../../test/support/thrown.js';

interface WrapVectors {
  source: string;
  iv: string;
  vectors: { name: string; kek: string; keyData: string; ciphertext: string }[];
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/rfc3394-key-wrap.json', import.meta.url), 'utf8'),
) as WrapVectors;
const h = (hex: string): Uint8Array => parseHex(hex, null, 'vector');
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('RFC 3394 key wrap (test-vectors/rfc3394-key-wrap.json)', () => {
  it('names its source and has all six section 4 vectors', () => {
    expect(file.source).toMatch(/RFC 3394/);
    expect(file.vectors).toHaveLength(6);
  });

  it.each(file.vectors)('$name', ({ kek, keyData, ciphertext }) => {
    expect(hexOf(wrapKey(h(kek), h(keyData)))).toBe(ciphertext);
    expect(hexOf(unwrapKey(h(kek), h(ciphertext)))).toBe(keyData);
  });

  it.each(file.vectors)('detects tampering and a wrong KEK: $name', ({ kek, ciphertext }) => {
    const wrapped = h(ciphertext);
    for (let i = 0; i < wrapped.length; i++) {
      const bad = wrapped.slice();
      bad[i] = (bad[i] ?? 0) ^ (1 << (i % 8));
      expect(codeOf(() => unwrapKey(h(kek), bad))).toBe('unwrap_failed');
    }
    const otherKek = h(kek);
    otherKek[0] = (otherKek[0] ?? 0) ^ 0x80;
    expect(codeOf(() => unwrapKey(otherKek, wrapped))).toBe('unwrap_failed');
  });

  it('round-trips random keys of every allowed size', () => {
    for (const kekBytes of [16, 24, 32]) {
      for (const dataBytes of [16, 24, 32, 40, 64]) {
        const kek = randomBytes(kekBytes);
        const data = randomBytes(dataBytes);
        const wrapped = wrapKey(kek, data);
        expect(wrapped).toHaveLength(dataBytes + 8);
        expect(Buffer.from(unwrapKey(kek, wrapped))).toEqual(data);
      }
    }
  });

  it('rejects bad sizes with invalid_length and non-bytes with invalid_argument', () => {
    const kek = new Uint8Array(16);
    expect(codeOf(() => wrapKey(new Uint8Array(8), new Uint8Array(16)))).toBe('invalid_length');
    expect(codeOf(() => wrapKey(new Uint8Array(20), new Uint8Array(16)))).toBe('invalid_length');
    expect(codeOf(() => wrapKey(kek, new Uint8Array(8)))).toBe('invalid_length');
    expect(codeOf(() => wrapKey(kek, new Uint8Array(0)))).toBe('invalid_length');
    expect(codeOf(() => wrapKey(kek, new Uint8Array(20)))).toBe('invalid_length');
    expect(codeOf(() => unwrapKey(kek, new Uint8Array(16)))).toBe('invalid_length');
    expect(codeOf(() => unwrapKey(kek, new Uint8Array(25)))).toBe('invalid_length');
    expect(codeOf(() => wrapKey(kek, 'data' as unknown as Uint8Array))).toBe('invalid_argument');
    expect(codeOf(() => unwrapKey('kek' as unknown as Uint8Array, new Uint8Array(24)))).toBe('invalid_argument');
  });

  it('fails unwrap of garbage with unwrap_failed', () => {
    for (let i = 0; i < 50; i++) {
      expect(codeOf(() => unwrapKey(randomBytes(16), randomBytes(24 + 8 * (i % 4))))).toBe('unwrap_failed');
    }
  });
});
