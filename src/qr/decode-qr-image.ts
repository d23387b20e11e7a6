import jsQRModule from 'jsqr';
import { QrError } from './errors.js';
import { decodePng, isPng, readPngHeader, type RgbaImage } from './png-image.js';

/** Largest accepted image file: 20 MiB. */
export const MAX_QR_IMAGE_BYTES = 20 * 1024 * 1024;
/** Largest accepted width or height, in pixels. */
export const MAX_QR_IMAGE_SIDE = 8000;

/** Images above this many pixels are searched downscaled first (jsQR is linear but slow). */
const FAST_PIXELS = 4_000_000;
/** Images up to this many pixels are also searched at full resolution if the downscaled pass fails. */
const FULL_PIXELS = 16_000_000;

type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is CommonJS with a `default` property; under NodeNext the default import is module.exports.
const jsQR: JsQr =
  (jsQRModule as unknown as { default?: JsQr }).default ?? (jsQRModule as unknown as JsQr);

/**
 * Finds and decodes the QR code in an image file and returns its text, as decoded by jsQR
 * (inverted, rotated and perspective-distorted codes included).
 *
 * Only PNG is supported (any colour type and bit depth, transparency composited over white).
 * JPEG and other formats are recognised and refused with `unsupported_image`: no JPEG decoder is
 * among Deed's dependencies. Images over {@link MAX_QR_IMAGE_BYTES} bytes or
 * {@link MAX_QR_IMAGE_SIDE} pixels on a side are refused before decoding. Large images are
 * searched downscaled first.
 *
 * @param image the file's bytes
 * @throws QrError `invalid_argument` (not bytes), `unsupported_image`, `image_too_large` or
 *   `no_qr_code_found`
 */
export function decodeQrImage(image: Buffer): string {
  if (!(image instanceof Uint8Array)) {
    throw new QrError('invalid_argument', 'image must be a Buffer');
  }
  if (image.length > MAX_QR_IMAGE_BYTES) {
    throw new QrError('image_too_large', `image must be at most ${MAX_QR_IMAGE_BYTES} bytes (20 MiB)`, {
      maxBytes: MAX_QR_IMAGE_BYTES,
    });
  }
  if (!isPng(image)) {
    throw new QrError('unsupported_image', `${describeFormat(image)}; send a PNG image`);
  }
  const header = readPngHeader(image);
  if (header.width > MAX_QR_IMAGE_SIDE || header.height > MAX_QR_IMAGE_SIDE) {
    throw new QrError(
      'image_too_large',
      `image must be at most ${MAX_QR_IMAGE_SIDE}×${MAX_QR_IMAGE_SIDE} pixels, got ${header.width}×${header.height}`,
      { maxSide: MAX_QR_IMAGE_SIDE, width: header.width, height: header.height },
    );
  }
  const rgba = decodePng(Buffer.isBuffer(image) ? image : Buffer.from(image), header);
  const pixels = rgba.width * rgba.height;
  const attempts: RgbaImage[] = [];
  if (pixels > FAST_PIXELS) attempts.push(downscale(rgba, Math.ceil(Math.sqrt(pixels / FAST_PIXELS))));
  if (pixels <= FULL_PIXELS) attempts.push(rgba);
  for (const attempt of attempts) {
    const found = jsQR(attempt.data, attempt.width, attempt.height);
    if (found !== null) return found.data;
  }
  throw new QrError('no_qr_code_found', 'no readable QR code was found in the image');
}

/** Names what the bytes look like, for the `unsupported_image` message. */
function describeFormat(bytes: Uint8Array): string {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'JPEG images are not supported';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'GIF images are not supported';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') {
    return 'WebP images are not supported';
  }
  if (starts(0x42, 0x4d)) return 'BMP images are not supported';
  return 'the data is not a PNG image';
}

/** Box-filter downscale by an integer `factor` (edge pixels averaged over what exists). */
function downscale(image: RgbaImage, factor: number): RgbaImage {
  const width = Math.ceil(image.width / factor);
  const height = Math.ceil(image.height / factor);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let sy = y * factor; sy < Math.min((y + 1) * factor, image.height); sy++) {
        for (let sx = x * factor; sx < Math.min((x + 1) * factor, image.width); sx++) {
          const i = (sy * image.width + sx) * 4;
          r += image.data[i] ?? 0;
          g += image.data[i + 1] ?? 0;
          b += image.data[i + 2] ?? 0;
          n++;
        }
      }
      const o = (y * width + x) * 4;
      data[o] = r / n;
      data[o + 1] = g / n;
      data[o + 2] = b / n;
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}
