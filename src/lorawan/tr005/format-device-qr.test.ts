import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LorawanError } from '../errors.js';
import { Eui64 } from '../eui64.js';
import type { DeviceQr } from './device-qr.js';
import { formatDeviceQr } from './format-device-qr.js';
import { parseDeviceQr } from './parse-device-qr.js';
import { thrown } from '../../../test/support/thrown.js';

const JOIN = Eui64.fromHex('42FFFFFFFFFFFFFF');
const DEV = Eui64.fromHex('4242FFFFFFFFFFFF');
const BASE: DeviceQr = { format: 'tr005', joinEui: JOIN, devEui: DEV, vendorId: '42FF', profileId: 'FF42' };

/** EUIs as hex (their toJSON), so values compare by content rather than by (private) fields. */
const plain = (qr: DeviceQr): unknown => JSON.parse(JSON.stringify(qr));

describe('formatDeviceQr', () => {
  it('writes final TR005 with upper-case hex', () => {
    const qr: DeviceQr = { ...BASE, vendorId: '42ff', profileId: 'ff42' };
    expect(formatDeviceQr(qr)).toBe('LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42');
  });

  it('writes extensions in the order C, O, S, P whatever the property order', () => {
    const qr: DeviceQr = { ...BASE, proprietary: 'P1', serialNumber: 'S1', ownerToken: 'O1', checksum: 'C1' };
    expect(formatDeviceQr(qr)).toBe('LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:CC1:OO1:SS1:PP1');
  });

  it('writes drafts as final TR005', () => {
    const draft = parseDeviceQr('URN:LW:DP:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:%V0102');
    expect(formatDeviceQr(draft)).toBe('LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:O0102');
  });

  it('writes the checksum back verbatim, without computing or checking it', () => {
    const qr: DeviceQr = { ...BASE, checksum: 'NOT-A-REAL-CHECKSUM' };
    expect(formatDeviceQr(qr)).toMatch(/:CNOT-A-REAL-CHECKSUM$/);
    expect(parseDeviceQr(formatDeviceQr(qr)).checksum).toBe('NOT-A-REAL-CHECKSUM');
  });

  describe('refuses', () => {
    it.each(['checksum', 'ownerToken', 'serialNumber', 'proprietary'] as const)("a %s containing ':'", (field) => {
      const error = thrown(LorawanError, () => formatDeviceQr({ ...BASE, [field]: 'AB:CD' }));
      expect(error.code).toBe('invalid_qr');
      expect(error.message).toContain(`(${field}) must not contain ':'`);
      expect(error.message).not.toContain('AB:CD');
    });

    it.each([
      ['empty', '', /is empty/],
      ['with a space', 'AB CD', /printable ASCII/],
      ['with a newline', 'AB\nCD', /printable ASCII/],
      ['non-ASCII', 'ÄB', /printable ASCII/],
    ])('an owner token %s', (_, value, message) => {
      expect(thrown(LorawanError, () => formatDeviceQr({ ...BASE, ownerToken: value })).message).toMatch(message);
    });

    it('a dev-eui-only code (no JoinEUI)', () => {
      const qr = parseDeviceQr('4242FFFFFFFFFFFF');
      expect(thrown(LorawanError, () => formatDeviceQr(qr)).message).toMatch(/JoinEUI is missing/);
    });

    it('a missing VendorID or profile id', () => {
      expect(thrown(LorawanError, () => formatDeviceQr({ ...BASE, vendorId: null })).message).toMatch(/ProfileID .* is missing/);
      expect(thrown(LorawanError, () => formatDeviceQr({ ...BASE, profileId: null })).message).toMatch(/ProfileID .* is missing/);
    });

    it.each(['42F', '42FFF', '42FG', '0x42', ''])('a VendorID %j that is not 4 hex digits', (vendorId) => {
      expect(thrown(LorawanError, () => formatDeviceQr({ ...BASE, vendorId })).message).toMatch(/^VendorID must/);
    });

    it('a profile id that is not 4 hex digits', () => {
      expect(thrown(LorawanError, () => formatDeviceQr({ ...BASE, profileId: 'FF4' })).message).toMatch(/^profile id must/);
    });

    it('EUIs that are not Eui64 values', () => {
      const bad = { ...BASE, joinEui: '42FFFFFFFFFFFFFF' } as unknown as DeviceQr;
      expect(thrown(LorawanError, () => formatDeviceQr(bad)).message).toMatch(/JoinEUI is missing/);
      const noDev = { ...BASE, devEui: undefined } as unknown as DeviceQr;
      expect(thrown(LorawanError, () => formatDeviceQr(noDev)).message).toMatch(/DevEUI is missing/);
    });

    it('non-objects', () => {
      for (const value of [null, undefined, 'LW:D0:…', 1]) {
        expect(thrown(LorawanError, () => formatDeviceQr(value as unknown as DeviceQr)).code).toBe('invalid_qr');
      }
    });

    it('a text longer than 1024 bytes, which the parser would reject', () => {
      const qr: DeviceQr = { ...BASE, proprietary: 'X'.repeat(1000) };
      expect(thrown(LorawanError, () => formatDeviceQr(qr)).message).toMatch(/longer than 1024 bytes/);
    });
  });

  it('round-trips: parse(format(x)) deep-equals x for random final TR005 codes', () => {
    const charset = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
      (c) => c !== ':',
    );
    const value = (): string => Array.from({ length: randomInt(1, 40) }, () => charset[randomInt(charset.length)]).join('');
    const hex4 = (): string => randomBytes(2).toString('hex').toUpperCase();
    for (let i = 0; i < 500; i++) {
      const qr: { -readonly [K in keyof DeviceQr]: DeviceQr[K] } = {
        format: 'tr005',
        joinEui: Eui64.fromBigEndian(randomBytes(8)),
        devEui: Eui64.fromBigEndian(randomBytes(8)),
        vendorId: hex4(),
        profileId: hex4(),
      };
      if (randomInt(2)) qr.checksum = value();
      if (randomInt(2)) qr.ownerToken = value();
      if (randomInt(2)) qr.serialNumber = value();
      if (randomInt(2)) qr.proprietary = value();
      const text = formatDeviceQr(qr);
      const back = parseDeviceQr(text);
      expect(plain(back)).toEqual(plain(qr));
      expect(back.joinEui?.equals(qr.joinEui as Eui64)).toBe(true);
      expect(back.devEui.equals(qr.devEui)).toBe(true);
      expect(formatDeviceQr(back)).toBe(text);
    }
  });
});
