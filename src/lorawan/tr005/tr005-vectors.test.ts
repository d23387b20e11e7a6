import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LorawanError } from '../errors.js';
import type { DeviceQr } from './device-qr.js';
import { formatDeviceQr } from './format-device-qr.js';
import { parseDeviceQr } from './parse-device-qr.js';

interface QrVectors {
  source: string;
  valid: { name: string; source: string; text: string; expected: Record<string, unknown>; canonical: string | null }[];
  invalid: { name: string; source: string; text: string; error: string; message: string }[];
}
const file = JSON.parse(
  readFileSync(new URL('../../../test-vectors/tr005-qr.json', import.meta.url), 'utf8'),
) as QrVectors;

/** EUIs as hex (their toJSON), so values compare by content rather than by (private) fields. */
const plain = (qr: DeviceQr): Record<string, unknown> => JSON.parse(JSON.stringify(qr)) as Record<string, unknown>;

describe('test-vectors/tr005-qr.json', () => {
  it('names its source, and every vector names its own', () => {
    expect(file.source).toMatch(/tr005-qr\.md/);
    for (const v of [...file.valid, ...file.invalid]) expect(v.source, v.name).not.toBe('');
  });

  it('covers every example of the spec', () => {
    const texts = file.valid.map((v) => v.text);
    for (const text of [
      'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42',
      'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:CCHECKSUM:O0102:SSERIAL:PPROPRIETARY',
      'URN:LW:DP:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:%V0102%SSERIAL%PPROPRIETARY',
      'URN:DEV:LW:42FFFFFFFFFFFFFF_4242FFFFFFFFFFFF_42FFFF42_V0102_SSERIAL_PPROPRIETARY',
    ]) {
      expect(texts).toContain(text);
    }
  });

  describe('valid', () => {
    it.each(file.valid)('$name', ({ text, expected, canonical }) => {
      const qr = parseDeviceQr(text);
      expect(plain(qr)).toEqual(expected);
      expect(Object.isFrozen(qr)).toBe(true);
      if (canonical === null) {
        expect(() => formatDeviceQr(qr)).toThrow(LorawanError);
      } else {
        const written = formatDeviceQr(qr);
        expect(written).toBe(canonical);
        // Re-reading the canonical text gives the same identities, now as final TR005.
        expect(plain(parseDeviceQr(written))).toEqual({ ...expected, format: 'tr005' });
      }
    });
  });

  describe('invalid', () => {
    it.each(file.invalid)('$name', ({ text, error, message }) => {
      let thrown: unknown;
      try {
        parseDeviceQr(text);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(LorawanError);
      expect((thrown as LorawanError).code).toBe(error);
      expect((thrown as LorawanError).message).toContain(message);
    });
  });
});
