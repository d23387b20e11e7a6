import { format, inspect } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AesKey, borrowKeyBytes } from './aes-key.js';
import { LorawanError } from './errors.js';

const HEX = 'C0FFEE00DEADBEEF0123456789ABCDEF';
const FRAGMENTS = ['C0FFEE', 'c0ffee', 'DEADBEEF', 'deadbeef', '89ABCDEF', '89abcdef', '192,255,238'];

function expectNoLeak(text: string): void {
  for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
}

describe('AesKey', () => {
  it('parses hex (any case, optional 0x) and gives the bytes back on request', () => {
    const key = AesKey.fromHex(`0x${HEX.toLowerCase()}`);
    expect(key.unsafeHex()).toBe(HEX);
    expect(key.unsafeBytes()).toEqual(Uint8Array.from(Buffer.from(HEX, 'hex')));
    expect(AesKey.BYTES).toBe(16);
  });

  it('copies on the way in and on the way out', () => {
    const bytes = Uint8Array.from(Buffer.from(HEX, 'hex'));
    const key = AesKey.fromBytes(bytes);
    bytes.fill(0);
    expect(key.unsafeHex()).toBe(HEX);
    const out = key.unsafeBytes();
    out.fill(0);
    expect(key.unsafeHex()).toBe(HEX);
    expect(borrowKeyBytes(key)).not.toBe(out);
  });

  it('compares in constant time, by value', () => {
    const a = AesKey.fromHex(HEX);
    expect(a.equals(AesKey.fromHex(HEX))).toBe(true);
    expect(a.equals(AesKey.fromHex(`${HEX.slice(0, -1)}E`))).toBe(false);
  });

  it('rejects bad input with typed errors that do not echo the input', () => {
    const bad: [unknown, string][] = [
      [HEX.slice(2), 'invalid_length'],
      [`${HEX}00`, 'invalid_length'],
      [`${HEX.slice(0, -1)}Z`, 'invalid_hex'],
      [`${HEX}0`, 'invalid_hex'],
      [42, 'invalid_hex'],
    ];
    for (const [input, code] of bad) {
      try {
        AesKey.fromHex(input, 'AppKey');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(LorawanError);
        expect((e as LorawanError).code).toBe(code);
        expect((e as Error).message).toContain('AppKey');
        expectNoLeak((e as Error).message);
        expectNoLeak(inspect(e));
      }
    }
    expect(() => AesKey.fromBytes(new Uint8Array(15))).toThrow(LorawanError);
    expect(() => AesKey.fromBytes('00' as unknown as Uint8Array)).toThrow(LorawanError);
  });

  describe('never leaks its bytes', () => {
    const key = AesKey.fromHex(HEX);

    it('through String(), concatenation and template literals', () => {
      expect(String(key)).toBe('[redacted]');
      expect(key.toString()).toBe('[redacted]');
      expect(`${key}`).toBe('[redacted]');
      expect('' + key).toBe('[redacted]');
      expect([key].join()).toBe('[redacted]');
    });

    it('through JSON.stringify', () => {
      expect(JSON.stringify(key)).toBe('"[redacted]"');
      expect(JSON.stringify({ appKey: key })).toBe('{"appKey":"[redacted]"}');
    });

    it('through util.inspect, util.format and console-style formatting', () => {
      expect(inspect(key)).toBe('AesKey([redacted])');
      expect(inspect({ nested: { key } }, { depth: 10 })).toContain('AesKey([redacted])');
      for (const options of [{ showHidden: true }, { customInspect: false }, { getters: true }]) {
        expectNoLeak(inspect(key, options));
      }
      for (const spec of ['%s', '%o', '%O', '%j', '%d']) expectNoLeak(format(spec, key));
    });

    it('through enumeration and cloning', () => {
      expect(Object.keys(key)).toEqual([]);
      expect(Object.getOwnPropertyNames(key)).toEqual([]);
      expect(Object.getOwnPropertySymbols(key)).toEqual([]);
      expectNoLeak(JSON.stringify({ ...key }));
      expectNoLeak(inspect(structuredClone(key)));
    });

    it('through pino', () => {
      const lines: string[] = [];
      const logger = pino({}, { write: (line: string) => void lines.push(line) });
      logger.info({ appKey: key, device: { nwkKey: key } }, 'join with %s', key);
      expect(lines).toHaveLength(1);
      expectNoLeak(lines.join(''));
      expect(lines.join('')).toContain('[redacted]');
    });
  });
});
