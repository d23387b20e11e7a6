import { DeedError } from '../shared/deed-error.js';

/**
 * Stable codes of the QR image adapters. Part of the public contract: transports map them in
 * exactly one place each.
 *
 * - `unsupported_image`: the bytes are not a PNG (JPEG is recognised but not supported), or the
 *   PNG is corrupt.
 * - `no_qr_code_found`: the image decoded, but no readable QR code is in it.
 * - `image_too_large`: the file or its pixel dimensions exceed the limits (see `decodeQrImage`).
 * - `text_too_long`: the text does not fit in a QR code at the chosen error correction level.
 * - `invalid_argument`: a render option or label is out of range or has the wrong type.
 */
export type QrErrorCode =
  | 'unsupported_image'
  | 'no_qr_code_found'
  | 'image_too_large'
  | 'text_too_long'
  | 'invalid_argument';

/** Error thrown by the QR adapters. Messages never contain the QR text (it may hold an owner token). */
export class QrError extends DeedError {
  declare readonly code: QrErrorCode;

  constructor(code: QrErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, details);
    this.name = 'QrError';
  }
}
