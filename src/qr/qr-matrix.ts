import QRCode from 'qrcode';
import { QrError } from './errors.js';

/** QR error correction level: L ~7 %, M ~15 %, Q ~25 %, H ~30 % of codewords recoverable. */
export type QrErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H';

/** Default error correction: M, a good trade-off for printed labels. */
export const DEFAULT_ERROR_CORRECTION: QrErrorCorrectionLevel = 'M';

/** The modules of one QR symbol, without quiet zone. */
export interface QrMatrix {
  /** Modules per side. */
  readonly size: number;
  /** True for a dark module. */
  isDark(row: number, column: number): boolean;
}

/**
 * Encodes `text` into a QR symbol (smallest version that fits, mode chosen by `qrcode`).
 * @throws QrError `invalid_argument` for a non-string, empty text or unknown level;
 *   `text_too_long` when the text does not fit in a version 40 symbol at this level
 */
export function createQrMatrix(text: unknown, level: unknown = DEFAULT_ERROR_CORRECTION): QrMatrix {
  const errorCorrectionLevel = checkLevel(level);
  if (typeof text !== 'string') {
    throw new QrError('invalid_argument', 'QR code text must be a string');
  }
  if (text === '') {
    throw new QrError('invalid_argument', 'QR code text is empty');
  }
  let modules: { size: number; data: Uint8Array };
  try {
    modules = QRCode.create(text, { errorCorrectionLevel }).modules;
  } catch (e) {
    if (e instanceof Error && /too big/i.test(e.message)) {
      throw new QrError(
        'text_too_long',
        `QR code text of ${Buffer.byteLength(text)} bytes does not fit in a QR code at error correction level ${errorCorrectionLevel}`,
      );
    }
    throw new QrError('invalid_argument', 'QR code text cannot be encoded');
  }
  const { size, data } = modules;
  return Object.freeze({ size, isDark: (row: number, column: number) => data[row * size + column] === 1 });
}

/** @throws QrError `invalid_argument` unless `level` is L, M, Q or H. */
export function checkLevel(level: unknown): QrErrorCorrectionLevel {
  if (level === 'L' || level === 'M' || level === 'Q' || level === 'H') return level;
  throw new QrError('invalid_argument', 'errorCorrectionLevel must be L, M, Q or H');
}

/** @throws QrError `invalid_argument` unless `value` is an integer in `[min, max]`; returns `fallback` for undefined. */
export function checkInteger(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QrError('invalid_argument', `${what} must be an integer from ${min} to ${max}`);
  }
  return value;
}
