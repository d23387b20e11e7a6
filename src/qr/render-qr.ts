import QRCode from 'qrcode';
import { DEFAULT_ERROR_CORRECTION, checkInteger, checkLevel, createQrMatrix, type QrErrorCorrectionLevel } from './qr-matrix.js';

/** Options of {@link renderQrPng} and {@link renderQrSvg}. */
export interface QrRenderOptions {
  /** Pixels per module: an integer from 1 to 64, default 8. In SVG, sets `width`/`height` in px. */
  readonly scale?: number;
  /** Quiet zone around the symbol, in modules: an integer from 0 to 32, default 4 (the QR minimum). */
  readonly margin?: number;
  /** Error correction level, default `M`. */
  readonly errorCorrectionLevel?: QrErrorCorrectionLevel;
}

const DEFAULT_SCALE = 8;
const DEFAULT_MARGIN = 4;

interface Resolved {
  scale: number;
  margin: number;
  errorCorrectionLevel: QrErrorCorrectionLevel;
  /** Modules per side of the symbol, without quiet zone. */
  size: number;
}

function resolve(text: unknown, options: QrRenderOptions | undefined): Resolved {
  const errorCorrectionLevel = checkLevel(options?.errorCorrectionLevel ?? DEFAULT_ERROR_CORRECTION);
  const scale = checkInteger(options?.scale, DEFAULT_SCALE, 1, 64, 'scale');
  const margin = checkInteger(options?.margin, DEFAULT_MARGIN, 0, 32, 'margin');
  // Encoding once here validates the text and maps the library's errors to QrError.
  const { size } = createQrMatrix(text, errorCorrectionLevel);
  return { scale, margin, errorCorrectionLevel, size };
}

/**
 * Renders `text` as a black-on-white QR code PNG (8-bit, opaque background) via `qrcode`.
 * The image is `(modules + 2 * margin) * scale` pixels square.
 * @throws QrError `invalid_argument` (empty text, bad option) or `text_too_long`
 */
export async function renderQrPng(text: string, options?: QrRenderOptions): Promise<Buffer> {
  const { scale, margin, errorCorrectionLevel } = resolve(text, options);
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel, margin, scale });
}

/**
 * Renders `text` as a standalone black-on-white QR code SVG document via `qrcode`. The viewBox is
 * in modules; `width`/`height` are `(modules + 2 * margin) * scale` px.
 * @throws QrError `invalid_argument` (empty text, bad option) or `text_too_long`
 */
export async function renderQrSvg(text: string, options?: QrRenderOptions): Promise<string> {
  const { scale, margin, errorCorrectionLevel, size } = resolve(text, options);
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel, margin, width: (size + 2 * margin) * scale });
}
