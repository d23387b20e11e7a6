import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { MAX_QR_IMAGE_BYTES, decodeQrImage } from './decode-qr-image.js';
import { QrError } from './errors.js';
import { renderQrPng } from './render-qr.js';
import { thrown } from '../../test/support/thrown.js';

const TR005 = 'LW:D0:42FFFFFFFFFFFFFF:4242FFFFFFFFFFFF:42FFFF42:O0102:SSERIAL';

interface Raster {
  width: number;
  height: number;
  data: Buffer;
}

const read = (png: Buffer): Raster => PNG.sync.read(png);
function write(raster: Raster, options: { colorType?: 0 | 2 | 6 } = {}): Buffer {
  const png = new PNG({ width: raster.width, height: raster.height });
  raster.data.copy(png.data);
  return PNG.sync.write(png, { colorType: options.colorType ?? 6 });
}
function blank(width: number, height: number, value = 255): Raster {
  return { width, height, data: Buffer.alloc(width * height * 4, value) };
}
function pixel(r: Raster, x: number, y: number): Buffer {
  const i = (y * r.width + x) * 4;
  return r.data.subarray(i, i + 4);
}

/** Maps each output pixel back into `src` (nearest neighbour); outside is white. */
function transform(src: Raster, width: number, height: number, inverse: (x: number, y: number) => [number, number]): Raster {
  const out = blank(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = inverse(x, y).map(Math.round) as [number, number];
      if (sx >= 0 && sy >= 0 && sx < src.width && sy < src.height) pixel(src, sx, sy).copy(pixel(out, x, y));
    }
  }
  return out;
}

/** An 8-bit greyscale PNG made by hand: signature, IHDR, one IDAT holding `raw` deflated, IEND. CRCs are zero (see fixCrcs). */
function handMadePng(width: number, height: number, interlace: 0 | 1, raw: Buffer): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, interlace], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeQrImage', () => {
  it('reads a code rotated by 90 degrees and scaled up 3x', async () => {
    const src = read(await renderQrPng(TR005, { scale: 4 }));
    const rotated = transform(src, src.height * 3, src.width * 3, (x, y) => [Math.floor(y / 3), src.height - 1 - Math.floor(x / 3)]);
    expect(decodeQrImage(write(rotated))).toBe(TR005);
  });

  it('reads a code rotated by 20 degrees on a larger white canvas', async () => {
    const src = read(await renderQrPng(TR005, { scale: 6 }));
    const side = Math.ceil(src.width * 1.6);
    const angle = (20 * Math.PI) / 180;
    const [cx, cy, sx, sy] = [side / 2, side / 2, src.width / 2, src.height / 2];
    const rotated = transform(src, side, side, (x, y) => [
      Math.cos(angle) * (x - cx) + Math.sin(angle) * (y - cy) + sx,
      -Math.sin(angle) * (x - cx) + Math.cos(angle) * (y - cy) + sy,
    ]);
    expect(decodeQrImage(write(rotated))).toBe(TR005);
  });

  it('reads a small code placed in a large (downscaled) image', async () => {
    const src = read(await renderQrPng(TR005, { scale: 12 }));
    const big = blank(3000, 2200, 230);
    for (let y = 0; y < src.height; y++) src.data.copy(big.data, ((900 + y) * big.width + 1300) * 4, y * src.width * 4, (y + 1) * src.width * 4);
    expect(decodeQrImage(write(big, { colorType: 2 }))).toBe(TR005);
  });

  it('reads greyscale, inverted and transparent-background PNGs', async () => {
    const src = read(await renderQrPng(TR005, { scale: 4 }));
    expect(decodeQrImage(write(src, { colorType: 0 }))).toBe(TR005);

    const inverted = { ...src, data: Buffer.from(src.data.map((v, i) => (i % 4 === 3 ? v : 255 - v))) };
    expect(decodeQrImage(write(inverted))).toBe(TR005);

    // Light modules fully transparent black: only compositing over white makes them light.
    const transparent = { ...src, data: Buffer.from(src.data) };
    for (let i = 0; i < transparent.data.length; i += 4) {
      if (transparent.data[i] === 255) transparent.data.set([0, 0, 0, 0], i);
    }
    expect(decodeQrImage(write(transparent))).toBe(TR005);
  });

  it('reads an interlaced (Adam7) PNG', async () => {
    const src = read(await renderQrPng(TR005, { scale: 3 }));
    const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
    const rows: Buffer[] = [];
    for (const [x0, y0, dx, dy] of passes) {
      for (let y = y0; y < src.height; y += dy) {
        const row: number[] = [];
        for (let x = x0; x < src.width; x += dx) row.push(pixel(src, x, y)[0] ?? 0);
        if (row.length > 0) rows.push(Buffer.from([0, ...row]));
      }
    }
    const png = handMadePng(src.width, src.height, 1, Buffer.concat(rows));
    // pngjs checks chunk CRCs, and cannot write interlaced images itself.
    expect(decodeQrImage(fixCrcs(png))).toBe(TR005);
  });

  describe('refuses', () => {
    it('a blank PNG: no_qr_code_found', () => {
      expect(thrown(QrError, () => decodeQrImage(write(blank(200, 150)))).code).toBe('no_qr_code_found');
    });

    it('a PNG of noise: no_qr_code_found', () => {
      const noise = blank(160, 160);
      randomBytes(noise.data.length).copy(noise.data);
      expect(thrown(QrError, () => decodeQrImage(write(noise))).code).toBe('no_qr_code_found');
    });

    it.each([
      ['garbage bytes', randomBytes(500), /not a PNG/],
      ['an empty buffer', Buffer.alloc(0), /not a PNG/],
      ['text', Buffer.from(TR005), /not a PNG/],
      ['a JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]), /JPEG images are not supported/],
      ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), /GIF images are not supported/],
      ['a PNG signature alone', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), /corrupt/],
    ])('%s: unsupported_image', (_, bytes, message) => {
      const error = thrown(QrError, () => decodeQrImage(bytes));
      expect(error.code).toBe('unsupported_image');
      expect(error.message).toMatch(message);
    });

    it('every truncation of a valid PNG: unsupported_image (or no code when the image data survives)', async () => {
      const png = await renderQrPng(TR005, { scale: 2 });
      for (const n of [9, 20, 33, 40, 60, Math.floor(png.length / 2), png.length - 13, png.length - 1]) {
        const error = thrown(QrError, () => decodeQrImage(png.subarray(0, n)));
        expect(['unsupported_image', 'no_qr_code_found'], `truncated at ${n}`).toContain(error.code);
      }
    });

    it('a corrupted PNG (bad CRC): unsupported_image', async () => {
      const png = Buffer.from(await renderQrPng(TR005));
      png[40] = (png[40] ?? 0) ^ 0xff;
      expect(thrown(QrError, () => decodeQrImage(png)).code).toBe('unsupported_image');
    });

    it('an image wider than 8000 px, before decoding it: image_too_large', () => {
      const error = thrown(QrError, () => decodeQrImage(handMadePng(8001, 10, 0, Buffer.alloc(10))));
      expect(error.code).toBe('image_too_large');
      expect(error.message).toMatch(/8000×8000 pixels, got 8001×10/);
      expect(thrown(QrError, () => decodeQrImage(handMadePng(10, 100_000, 0, Buffer.alloc(10)))).code).toBe('image_too_large');
    });

    it('a file over 20 MiB: image_too_large', () => {
      const big = Buffer.alloc(MAX_QR_IMAGE_BYTES + 1);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(big);
      expect(thrown(QrError, () => decodeQrImage(big)).code).toBe('image_too_large');
    });

    it('an interlaced PNG whose data inflates far beyond its dimensions (zip bomb): unsupported_image', () => {
      const bomb = handMadePng(10, 10, 1, Buffer.alloc(50 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(100_000);
      const error = thrown(QrError, () => decodeQrImage(fixCrcs(bomb)));
      expect(error.code).toBe('unsupported_image');
      expect(error.message).toMatch(/does not match its dimensions/);
    });

    it('a non-Buffer: invalid_argument', () => {
      expect(thrown(QrError, () => decodeQrImage('iVBORw0KGgo=' as unknown as Buffer)).code).toBe('invalid_argument');
    });
  });
});

/** Recomputes every chunk CRC (CRC-32 over type and data), so pngjs accepts a hand-made PNG. */
function fixCrcs(png: Buffer): Buffer {
  const out = Buffer.from(png);
  for (let at = 8; at + 12 <= out.length; ) {
    const length = out.readUInt32BE(at);
    out.writeUInt32BE(crc32(out.subarray(at + 4, at + 8 + length)), at + 8 + length);
    at += 12 + length;
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
