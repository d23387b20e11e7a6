/**
 * QR code image adapters: render QR codes as PNG or SVG (qrcode), read them back from PNG images
 * (pngjs + jsQR), and lay out printable A4 label sheets. Not part of the pure core: the text
 * codec for device QR codes is `src/lorawan/tr005/`. This file is the public API.
 */
export { QrError, type QrErrorCode } from './errors.js';
export { type QrErrorCorrectionLevel, DEFAULT_ERROR_CORRECTION } from './qr-matrix.js';
export { type QrRenderOptions, renderQrPng, renderQrSvg } from './render-qr.js';
export { MAX_QR_IMAGE_BYTES, MAX_QR_IMAGE_SIDE, decodeQrImage } from './decode-qr-image.js';
export {
  type QrLabel,
  type LabelSheetOptions,
  MAX_CAPTION_LINES,
  MAX_LABELS,
  renderLabelSheetSvg,
  renderLabelSheetsSvg,
} from './label-sheet.js';
