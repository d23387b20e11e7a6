import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { QrError } from './errors.js';

/** The 8-byte PNG file signature. */
const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** An 8-bit RGBA raster, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Fields of a PNG's IHDR chunk that matter before decoding. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** True if `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Reads the IHDR chunk, which the PNG spec requires to come first, without decoding anything.
 * @throws QrError `unsupported_image` if it is missing or malformed
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ihdr = [0x49, 0x48, 0x44, 0x52];
  if (bytes.length < 33 || view.getUint32(8) !== 13 || !ihdr.every((b, i) => bytes[12 + i] === b)) {
    throw new QrError('unsupported_image', 'the PNG is corrupt: it has no valid IHDR header');
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) {
    throw new QrError('unsupported_image', 'the PNG is corrupt: it has a zero width or height');
  }
  return { width, height, bitDepth: view.getUint8(24), colorType: view.getUint8(25), interlaced: view.getUint8(28) === 1 };
}

/**
 * Decodes a PNG (any colour type and bit depth) into 8-bit RGBA with pngjs, composited over white
 * so that transparent backgrounds read as light. Call {@link readPngHeader} first to bound the
 * dimensions: decoding allocates `width * height * 4` bytes.
 * @throws QrError `unsupported_image` for a corrupt PNG
 */
export function decodePng(bytes: Buffer, header: PngHeader): RgbaImage {
  if (header.interlaced) assertInflatesWithin(bytes, header);
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch {
    throw new QrError('unsupported_image', 'the PNG is corrupt and cannot be decoded');
  }
  const data = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  compositeOverWhite(data);
  return { width: png.width, height: png.height, data };
}

/** Blends every pixel with its alpha over a white background, in place, and makes it opaque. */
function compositeOverWhite(data: Uint8ClampedArray): void {
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3] ?? 255;
    if (alpha === 255) continue;
    const light = 255 - alpha;
    for (let c = 0; c < 3; c++) data[i + c] = ((data[i + c] ?? 0) * alpha + 255 * light) / 255;
    data[i + 3] = 255;
  }
}

/**
 * pngjs inflates interlaced images without an output limit, so a small file could expand to
 * gigabytes. Inflate the image data once here with a limit derived from the header.
 */
function assertInflatesWithin(bytes: Uint8Array, header: PngHeader): void {
  const samples = [1, 0, 3, 1, 2, 0, 4][header.colorType] ?? 4;
  const rowBytes = Math.ceil((header.width * samples * header.bitDepth) / 8) + 1;
  // Each of Adam7's seven passes has at most `height` rows, each adding at most one filter byte
  // and one partly filled byte to the non-interlaced size.
  const limit = rowBytes * header.height + 14 * header.height;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) break;
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: limit });
  } catch {
    throw new QrError('unsupported_image', 'the PNG is corrupt: its image data does not match its dimensions');
  }
}
