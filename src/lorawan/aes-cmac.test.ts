import { readFileSync } from 'node:fs';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesCmac } from './aes-cmac.js';
import { LorawanError } from './errors.js';
import { parseHex } from './hex.js';

interface CmacVectors {
  source: string;
  key: string;
  vectors: { name: string; message: string; tag: string }[];
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/rfc4493-aes-cmac.json', import.meta.url), 'utf8'),
) as CmacVectors;
const h = (hex: string): Uint8Array => parseHex(hex, null, 'vector');

/** Textbook RFC 4493 with AES-128-CBC over the padded message, as an independent reference. */
function referenceCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const dbl = (v: Buffer): Buffer => {
    const n = (BigInt(`0x${v.toString('hex')}`) << 1n) & ((1n << 128n) - 1n);
    const r = (v[0] ?? 0) & 0x80 ? n ^ 0x87n : n;
    return Buffer.from(r.toString(16).padStart(32, '0'), 'hex');
  };
  const k1 = dbl(ecb.update(Buffer.alloc(16)));
  const k2 = dbl(k1);
  const complete = message.length > 0 && message.length % 16 === 0;
  const padded = Buffer.alloc(complete ? message.length : (Math.floor(message.length / 16) + 1) * 16);
  padded.set(message);
  if (!complete) padded[message.length] = 0x80;
  const sub = complete ? k1 : k2;
  const last = padded.length - 16;
  for (let i = 0; i < 16; i++) padded[last + i] = (padded[last + i] ?? 0) ^ (sub[i] ?? 0);
  const cbc = createCipheriv('aes-128-cbc', key, Buffer.alloc(16)).setAutoPadding(false);
  return cbc.update(padded).subarray(-16);
}

describe('aesCmac (test-vectors/rfc4493-aes-cmac.json)', () => {
  it('names its source', () => {
    expect(file.source).toMatch(/RFC 4493/);
  });

  it.each(file.vectors)('$name', ({ message, tag }) => {
    expect(Buffer.from(aesCmac(h(file.key), h(message))).toString('hex')).toBe(tag);
  });

  it('matches a textbook CBC-based implementation for every length 0..80', () => {
    for (let len = 0; len <= 80; len++) {
      const key = randomBytes(16);
      const message = randomBytes(len);
      expect(Buffer.from(aesCmac(key, message))).toEqual(referenceCmac(key, message));
    }
  });

  it('does not modify its inputs', () => {
    const key = h(file.key);
    const message = h(file.vectors[2]?.message ?? '');
    const before = Buffer.from(message);
    aesCmac(key, message);
    expect(Buffer.from(message)).toEqual(before);
    expect(Buffer.from(key).toString('hex')).toBe(file.key);
  });

  it('rejects bad arguments', () => {
    expect(() => aesCmac(new Uint8Array(24), new Uint8Array(1))).toThrow(LorawanError);
    expect(() => aesCmac(new Uint8Array(16), 'm' as unknown as Uint8Array)).toThrow(LorawanError);
  });
});
