import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { formatDeviceQr, parseDeviceQr } from '../lorawan/index.js';
import { decodeQrImage } from './decode-qr-image.js';
import { QrError } from './errors.js';
import { renderQrPng, renderQrSvg } from './render-qr.js';
import { rejectedWith } from '../../test/support/thrown.js';

const TR005 = 'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:CCHECKSUM:O0102:SSERIAL:PPROPRIETARY';


describe('renderQrPng', () => {
  it('writes a PNG that decodeQrImage reads back (qrcode -> pngjs -> jsQR)', async () => {
    const png = await renderQrPng(TR005);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const text = decodeQrImage(png);
    expect(text).toBe(TR005);
    expect(formatDeviceQr(parseDeviceQr(text))).toBe(TR005);
  });

  it.each([
    ['a bare TR005 code', 'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42'],
    ['a Draft 3 code', 'URN:DEV:LW:70B3D57ED0000000_0004A31000ABCDEF_00000000_V1A2B3C4D'],
    ['lower case (byte mode)', 'lw:d0:42ffffffffffffff:4242ffffffffffff:42ffff42:Oab12'],
    ['a long proprietary field', `LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:P${'A1'.repeat(300)}`],
    ['UTF-8 text', 'Zähler 🔑 №1'],
  ])('round-trips %s', async (_, text) => {
    expect(decodeQrImage(await renderQrPng(text))).toBe(text);
  });

  it('round-trips at every error correction level and small scales', async () => {
    for (const errorCorrectionLevel of ['L', 'M', 'Q', 'H'] as const) {
      for (const scale of [2, 3]) {
        expect(decodeQrImage(await renderQrPng(TR005, { errorCorrectionLevel, scale }))).toBe(TR005);
      }
    }
  });

  it('sizes the image as (modules + 2 * margin) * scale', async () => {
    const a = PNG.sync.read(await renderQrPng(TR005, { scale: 1, margin: 0 }));
    const b = PNG.sync.read(await renderQrPng(TR005, { scale: 5, margin: 4 }));
    expect(a.width).toBe(a.height);
    expect((a.width - 21) % 4).toBe(0); // a QR symbol is 21 + 4 * (version - 1) modules
    expect(b.width).toBe((a.width + 8) * 5);
  });

  it.each([
    ['empty text', '', {}, 'invalid_argument'],
    ['a scale of 0', TR005, { scale: 0 }, 'invalid_argument'],
    ['a fractional scale', TR005, { scale: 1.5 }, 'invalid_argument'],
    ['a negative margin', TR005, { margin: -1 }, 'invalid_argument'],
    ['an unknown level', TR005, { errorCorrectionLevel: 'X' }, 'invalid_argument'],
    ['text too long for a QR code', 'A'.repeat(5000), {}, 'text_too_long'],
  ])('refuses %s', async (_, text, options, code) => {
    const error = await rejectedWith(QrError, renderQrPng(text, options as never));
    expect(error.code).toBe(code);
    expect(error.message).not.toContain('AAAAAAAA');
  });

  it('refuses a non-string text', async () => {
    expect((await rejectedWith(QrError, renderQrPng(42 as unknown as string))).code).toBe('invalid_argument');
  });
});

describe('renderQrSvg', () => {
  it('writes a standalone SVG with a viewBox in modules and a pixel size of (modules + 2 * margin) * scale', async () => {
    const svg = await renderQrSvg(TR005, { scale: 4, margin: 2 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
    const side = Number(viewBox?.[1]);
    expect(side).toBe(Number(viewBox?.[2]));
    expect(svg).toContain(`width="${side * 4}" height="${side * 4}"`);
    expect(svg).toContain('<path');
  });

  it('uses error correction level M by default', async () => {
    expect(await renderQrSvg(TR005)).toBe(await renderQrSvg(TR005, { errorCorrectionLevel: 'M' }));
    expect(await renderQrSvg(TR005)).not.toBe(await renderQrSvg(TR005, { errorCorrectionLevel: 'H' }));
  });

  it('refuses text too long for a QR code', async () => {
    expect((await rejectedWith(QrError, renderQrSvg('A'.repeat(5000)))).code).toBe('text_too_long');
  });
});
