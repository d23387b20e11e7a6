import { describe, expect, it } from 'vitest';
import { parseHex, reversedCopy, toHex } from './hex.js';
import { codeOf } from '../../test/support/thrown.js';

describe('parseHex', () => {
  it('accepts upper and lower case and an optional 0x prefix', () => {
    const expected = new Uint8Array([0x01, 0xab, 0xcd, 0xef]);
    for (const input of ['01abcdef', '01ABCDEF', '01AbCdEf', '0x01abcdef', '0X01ABCDEF']) {
      expect(parseHex(input, 4, 'x')).toEqual(expected);
    }
  });

  it('accepts any length when byteLength is null, including empty', () => {
    expect(parseHex('', null, 'x')).toEqual(new Uint8Array(0));
    expect(parseHex('0x', null, 'x')).toEqual(new Uint8Array(0));
    expect(parseHex('00ff', null, 'x')).toEqual(new Uint8Array([0, 255]));
  });

  it('returns a plain, unpooled Uint8Array', () => {
    const bytes = parseHex('00112233', 4, 'x');
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(bytes.buffer.byteLength).toBe(4);
  });

  it('rejects non-strings with invalid_hex', () => {
    for (const input of [undefined, null, 42, 0x1234n, {}, [], new Uint8Array(2), true]) {
      expect(codeOf(() => parseHex(input, null, 'x'))).toBe('invalid_hex');
    }
  });

  it('rejects odd length and non-hex characters with invalid_hex', () => {
    for (const input of ['0', 'abc', '0x1', 'zz', '0g', ' 00', '00 ', '00-11', '0x0x00', '０１', 'é1']) {
      expect(codeOf(() => parseHex(input, null, 'x'))).toBe('invalid_hex');
    }
  });

  it('rejects the wrong number of bytes with invalid_length', () => {
    expect(codeOf(() => parseHex('0011', 3, 'x'))).toBe('invalid_length');
    expect(codeOf(() => parseHex('', 1, 'x'))).toBe('invalid_length');
    expect(codeOf(() => parseHex('00'.repeat(17), 16, 'x'))).toBe('invalid_length');
  });

  it('names `what` in the message and never echoes the input', () => {
    const secret = 'C0FFEE00DEADBEEF00112233445566';
    for (const input of [secret, `${secret}Z7`, `${secret}7`]) {
      try {
        parseHex(input, 16, 'AppKey');
        expect.unreachable();
      } catch (e) {
        const message = (e as Error).message;
        expect(message).toContain('AppKey');
        expect(message).not.toContain('C0FFEE');
        expect(message).not.toContain('DEADBEEF');
      }
    }
  });
});

describe('toHex / reversedCopy', () => {
  it('prints upper-case hex without separators', () => {
    expect(toHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0001ABFF');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(parseHex(toHex(all), 256, 'x')).toEqual(all);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex').toUpperCase());
  });

  it('reverses into a copy', () => {
    const input = new Uint8Array([1, 2, 3]);
    const out = reversedCopy(input);
    expect(out).toEqual(new Uint8Array([3, 2, 1]));
    out[0] = 9;
    expect(input).toEqual(new Uint8Array([1, 2, 3]));
  });
});
