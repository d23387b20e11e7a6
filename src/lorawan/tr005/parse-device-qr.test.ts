import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LorawanError } from '../errors.js';
import { Eui64 } from '../eui64.js';
import { MAX_DEVICE_QR_BYTES } from './device-qr.js';
import { parseDeviceQr } from './parse-device-qr.js';
import { thrown } from '../../../test/support/thrown.js';

const BASE = 'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42';
const FULL = `${BASE}:CCHECKSUM:O0102:SSERIAL:PPROPRIETARY`;

describe('parseDeviceQr', () => {
  it('returns Eui64 values and the split ProfileID', () => {
    const qr = parseDeviceQr(FULL);
    expect(qr.joinEui).toBeInstanceOf(Eui64);
    expect(qr.joinEui?.equals(Eui64.fromHex('42FFFFFFFFFFFFFF'))).toBe(true);
    expect(qr.devEui.toHex()).toBe('4242FFFFFFFFFFFF');
    expect([qr.vendorId, qr.profileId]).toEqual(['42FF', 'FF42']);
    expect(qr.checksum).toBe('CHECKSUM');
  });

  it('leaves absent extensions out instead of setting them to undefined', () => {
    expect(Object.keys(parseDeviceQr(BASE)).sort()).toEqual(['devEui', 'format', 'joinEui', 'profileId', 'vendorId']);
  });

  it('reads the same identities and owner token from final TR005 and both drafts', () => {
    const texts = [
      `${BASE}:O0102`,
      'URN:LW:DP:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:%V0102',
      'URN:DEV:LW:42FFFFFFFFFFFFFF_4242FFFFFFFFFFFF_42FFFF42_V0102',
    ];
    const seen = texts.map((t) => {
      const { format: _format, ...rest } = parseDeviceQr(t);
      return JSON.stringify(rest);
    });
    expect(new Set(seen).size).toBe(1);
  });

  it('accepts a bare DevEUI as dev-eui-only, with no JoinEUI, ProfileID or code', () => {
    const qr = parseDeviceQr('0004a30b001c0530');
    expect(qr).toMatchObject({ format: 'dev-eui-only', joinEui: null, vendorId: null, profileId: null });
    expect(qr.devEui.toHex()).toBe('0004A30B001C0530');
    expect(qr.ownerToken).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a Buffer', Buffer.from(BASE)],
    ['an object', { text: BASE }],
    ['an array', [BASE]],
  ])('rejects %s', (_, input) => {
    const error = thrown(LorawanError, () => parseDeviceQr(input));
    expect(error.code).toBe('invalid_qr');
    expect(error.message).toBe('QR code text must be a string');
  });

  describe(`size limit (${MAX_DEVICE_QR_BYTES} bytes)`, () => {
    const padded = (length: number): string => `${BASE}:P${'X'.repeat(length - BASE.length - 2)}`;

    it('accepts exactly 1024 bytes', () => {
      const text = padded(1024);
      expect(text.length).toBe(1024);
      expect(parseDeviceQr(text).proprietary).toHaveLength(1024 - BASE.length - 2);
    });

    it('rejects 1025 bytes', () => {
      const error = thrown(LorawanError, () => parseDeviceQr(padded(1025)));
      expect(error.code).toBe('invalid_qr');
      expect(error.message).toMatch(/at most 1024 bytes/);
    });

    it('counts UTF-8 bytes, not characters', () => {
      // 1000 characters, but 1000 + 2 * 50 bytes: rejected for size before the character check.
      const text = `${padded(950)}${'é'.repeat(50)}`;
      expect(text.length).toBe(1000);
      expect(thrown(LorawanError, () => parseDeviceQr(text)).message).toMatch(/at most 1024 bytes/);
      // Astral characters are 4 bytes (2 UTF-16 units).
      expect(thrown(LorawanError, () => parseDeviceQr('😀'.repeat(257))).message).toMatch(/at most 1024 bytes/);
      expect(thrown(LorawanError, () => parseDeviceQr('😀'.repeat(256))).message).toMatch(/printable ASCII/);
    });

    it('measures after trimming whitespace', () => {
      expect(parseDeviceQr(`\n\n${padded(1024)}\r\n`).format).toBe('tr005');
    });

    it('rejects a huge input quickly', () => {
      const huge = `${BASE}:P${'X'.repeat(10_000_000)}`;
      const start = performance.now();
      expect(thrown(LorawanError, () => parseDeviceQr(huge)).code).toBe('invalid_qr');
      expect(performance.now() - start).toBeLessThan(500);
    });
  });

  it('rejects every truncation of a valid code cleanly, or parses it', () => {
    for (const full of [
      FULL,
      'URN:LW:DP:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:%V0102%SSERIAL%PPROPRIETARY',
      'URN:DEV:LW:42FFFFFFFFFFFFFF_4242FFFFFFFFFFFF_42FFFF42_V0102_SSERIAL_PPROPRIETARY',
    ]) {
      const profileEnd = full.indexOf('42FFFF42') + 8;
      for (let n = 0; n < full.length; n++) {
        const cut = full.slice(0, n);
        if (n < profileEnd) {
          expect(thrown(LorawanError, () => parseDeviceQr(cut)).code, cut).toBe('invalid_qr');
        } else {
          // Cut inside the extensions: identities intact, a value may be shortened.
          expect(parseDeviceQr(cut).devEui.toHex(), cut).toBe('4242FFFFFFFFFFFF');
        }
      }
    }
  });

  it('turns garbage into invalid_qr and nothing else', () => {
    const samples: string[] = [
      randomBytes(64).toString('latin1'),
      randomBytes(64).toString('base64'),
      randomBytes(8).toString('hex').slice(0, 15),
      'LW:D0:::::::::',
      'LW:'.repeat(300),
      'URN:LW:DP:::::::',
      'URN:DEV:LW:____',
      ':'.repeat(1024),
      '\u0000'.repeat(16),
    ];
    for (let i = 0; i < 200; i++) samples.push(randomBytes(1 + (i % 90)).toString('latin1'));
    for (const sample of samples) {
      expect(thrown(LorawanError, () => parseDeviceQr(sample)).code).toBe('invalid_qr');
    }
  });

  it('turns random mutations of a valid code into a result or invalid_qr, never another error', () => {
    const alphabet = '0123456789ABCDEFabcdef:_%GZ \n';
    for (let i = 0; i < 2000; i++) {
      const chars = [...FULL];
      const at = (randomBytes(2).readUInt16BE(0) % chars.length);
      chars[at] = alphabet[(randomBytes(1)[0] ?? 0) % alphabet.length] ?? 'X';
      try {
        parseDeviceQr(chars.join(''));
      } catch (e) {
        expect(e).toBeInstanceOf(LorawanError);
        expect((e as LorawanError).code).toBe('invalid_qr');
      }
    }
  });

  it('never echoes the input (the owner token is a secret) in an error message', () => {
    const secret = 'S3CR3TT0K3N';
    for (const text of [
      `LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FF:O${secret}`,
      `LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:O${secret}:O${secret}`,
      `URN:DEV:LW:42FFFFFFFFFFFFFF_4242FFFFFFFFFFFF_${secret}`,
      `${secret}:${secret}`,
      `LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:O${secret} x`,
    ]) {
      expect(thrown(LorawanError, () => parseDeviceQr(text)).message).not.toContain(secret);
    }
  });
});
