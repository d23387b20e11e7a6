import { QrError } from './errors.js';
import {
  DEFAULT_ERROR_CORRECTION,
  checkInteger,
  checkLevel,
  createQrMatrix,
  type QrErrorCorrectionLevel,
  type QrMatrix,
} from './qr-matrix.js';
import { escapeXml } from './xml.js';

/** One label: a QR code and the lines printed beneath it (e.g. DevEUI, owner token). */
export interface QrLabel {
  /** The QR code text, e.g. a TR005 `LW:D0:…` string. */
  readonly text: string;
  /** Caption lines under the code, at most {@link MAX_CAPTION_LINES}; may be empty. */
  readonly caption: readonly string[];
}

/** Layout of an A4 label sheet. All lengths in millimetres. */
export interface LabelSheetOptions {
  /** Labels per row: 1 to 8, default 3. */
  readonly columns?: number;
  /** Side of each QR code including its 4-module quiet zone: 10 to 150 mm, default 36. */
  readonly qrSizeMm?: number;
  /** Caption font size: 1 to 10 mm, default 3. */
  readonly fontSizeMm?: number;
  /** Page margin on every side: 0 to 40 mm, default 10. */
  readonly pageMarginMm?: number;
  /** An optional heading printed at the top of each sheet. */
  readonly title?: string;
  /** Draw light dashed cut lines around each label (default true). */
  readonly cutLines?: boolean;
  /** Error correction level, default `M`. */
  readonly errorCorrectionLevel?: QrErrorCorrectionLevel;
}

/** Most caption lines a label may have. */
export const MAX_CAPTION_LINES = 6;
/** Most labels one call renders (all sheets together). */
export const MAX_LABELS = 10_000;

const PAGE_WIDTH = 210;
const PAGE_HEIGHT = 297;
const QUIET_ZONE_MODULES = 4;
const CELL_PADDING = 2;
const LINE_SPACING = 1.3;
/** Advance of a monospace glyph, as a fraction of the font size (close for common monospace fonts). */
const MONO_ADVANCE = 0.6;

interface Layout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  qrSize: number;
  fontSize: number;
  margin: number;
  top: number;
  title: string | undefined;
  cutLines: boolean;
  level: QrErrorCorrectionLevel;
}

/**
 * Renders labels on ONE printable A4 SVG sheet (210 × 297 mm, viewBox in mm): a grid of QR codes,
 * each with its caption lines centred beneath it in a monospace font (lines too wide for the cell
 * are condensed to fit). Captions and title are XML-escaped.
 *
 * @throws QrError `invalid_argument` if the labels do not fit on one sheet (the message gives the
 *   capacity; use {@link renderLabelSheetsSvg} to paginate), a label or option is invalid; or
 *   `text_too_long` if a label's text does not fit in a QR code
 */
export function renderLabelSheetSvg(labels: readonly QrLabel[], options?: LabelSheetOptions): string {
  const checked = checkLabels(labels);
  const layout = computeLayout(checked, options);
  const capacity = layout.rows * layout.columns;
  if (checked.length > capacity) {
    throw new QrError(
      'invalid_argument',
      `${checked.length} labels do not fit on one A4 sheet: at most ${capacity} with these options`,
      { capacity },
    );
  }
  return renderSheet(checked, layout);
}

/**
 * Renders any number of labels (up to {@link MAX_LABELS}) as as many A4 SVG sheets as needed,
 * each laid out as by {@link renderLabelSheetSvg}, all with the same grid.
 * @throws QrError as {@link renderLabelSheetSvg}, except for the one-sheet capacity
 */
export function renderLabelSheetsSvg(labels: readonly QrLabel[], options?: LabelSheetOptions): string[] {
  const checked = checkLabels(labels);
  const layout = computeLayout(checked, options);
  const perSheet = layout.rows * layout.columns;
  const sheets: string[] = [];
  for (let i = 0; i < checked.length; i += perSheet) sheets.push(renderSheet(checked.slice(i, i + perSheet), layout));
  return sheets;
}

function checkLabels(labels: unknown): QrLabel[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new QrError('invalid_argument', 'labels must be a non-empty array');
  }
  if (labels.length > MAX_LABELS) {
    throw new QrError('invalid_argument', `at most ${MAX_LABELS} labels can be rendered at once`);
  }
  return labels.map((label: unknown, index) => {
    const { text, caption } = (label ?? {}) as { text?: unknown; caption?: unknown };
    if (typeof text !== 'string' || text === '') {
      throw new QrError('invalid_argument', `label ${index}: text must be a non-empty string`, { index });
    }
    if (!Array.isArray(caption) || caption.length > MAX_CAPTION_LINES || !caption.every((l) => typeof l === 'string')) {
      throw new QrError(
        'invalid_argument',
        `label ${index}: caption must be an array of at most ${MAX_CAPTION_LINES} strings`,
        { index },
      );
    }
    return { text, caption: caption as string[] };
  });
}

function computeLayout(labels: readonly QrLabel[], options: LabelSheetOptions | undefined): Layout {
  const columns = checkInteger(options?.columns, 3, 1, 8, 'columns');
  const qrSize = checkNumber(options?.qrSizeMm, 36, 10, 150, 'qrSizeMm');
  const fontSize = checkNumber(options?.fontSizeMm, 3, 1, 10, 'fontSizeMm');
  const margin = checkNumber(options?.pageMarginMm, 10, 0, 40, 'pageMarginMm');
  const title = options?.title;
  if (title !== undefined && typeof title !== 'string') {
    throw new QrError('invalid_argument', 'title must be a string');
  }
  const level = checkLevel(options?.errorCorrectionLevel ?? DEFAULT_ERROR_CORRECTION);
  const cellWidth = (PAGE_WIDTH - 2 * margin) / columns;
  if (qrSize + 2 * CELL_PADDING > cellWidth) {
    throw new QrError(
      'invalid_argument',
      `a ${qrSize} mm QR code does not fit in ${columns} columns: at most ${round(cellWidth - 2 * CELL_PADDING)} mm`,
    );
  }
  const lines = Math.max(0, ...labels.map((l) => l.caption.length));
  const cellHeight = 2 * CELL_PADDING + qrSize + lines * fontSize * LINE_SPACING;
  const top = margin + (title === undefined || title === '' ? 0 : fontSize * 2.5);
  const rows = Math.floor((PAGE_HEIGHT - margin - top) / cellHeight);
  if (rows < 1) {
    throw new QrError('invalid_argument', 'one label is taller than the printable height of an A4 sheet');
  }
  return { columns, rows, cellWidth, cellHeight, qrSize, fontSize, margin, top, title, cutLines: options?.cutLines ?? true, level };
}

function renderSheet(labels: readonly QrLabel[], layout: Layout): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE_WIDTH}mm" height="${PAGE_HEIGHT}mm" viewBox="0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}">`,
    `<rect width="${PAGE_WIDTH}" height="${PAGE_HEIGHT}" fill="#fff"/>`,
  ];
  if (layout.title !== undefined && layout.title !== '') {
    out.push(
      `<text class="title" x="${layout.margin}" y="${round(layout.margin + layout.fontSize * 1.2)}" font-family="sans-serif" font-size="${round(layout.fontSize * 1.4)}">${escapeXml(layout.title)}</text>`,
    );
  }
  labels.forEach((label, i) => {
    const x = layout.margin + (i % layout.columns) * layout.cellWidth;
    const y = layout.top + Math.floor(i / layout.columns) * layout.cellHeight;
    out.push(renderLabel(label, x, y, layout));
  });
  out.push('</svg>', '');
  return out.join('\n');
}

function renderLabel(label: QrLabel, x: number, y: number, layout: Layout): string {
  const { cellWidth, cellHeight, qrSize, fontSize } = layout;
  const matrix = createQrMatrix(label.text, layout.level);
  const module = qrSize / (matrix.size + 2 * QUIET_ZONE_MODULES);
  const qrX = x + (cellWidth - qrSize) / 2 + QUIET_ZONE_MODULES * module;
  const qrY = y + CELL_PADDING + QUIET_ZONE_MODULES * module;
  const parts = ['<g class="label">'];
  if (layout.cutLines) {
    parts.push(
      `<rect x="${round(x)}" y="${round(y)}" width="${round(cellWidth)}" height="${round(cellHeight)}" fill="none" stroke="#bbb" stroke-width="0.1" stroke-dasharray="1 1"/>`,
    );
  }
  parts.push(
    `<path class="qr" transform="translate(${round(qrX)} ${round(qrY)}) scale(${round(module, 5)})" d="${qrPath(matrix)}" fill="#000" shape-rendering="crispEdges"/>`,
  );
  const centre = x + cellWidth / 2;
  const maxWidth = cellWidth - 2 * CELL_PADDING;
  label.caption.forEach((line, i) => {
    const baseline = y + CELL_PADDING + qrSize + (i + 1) * fontSize * LINE_SPACING - fontSize * 0.3;
    const natural = [...line].length * fontSize * MONO_ADVANCE;
    const squeeze = natural > maxWidth ? ` textLength="${round(maxWidth)}" lengthAdjust="spacingAndGlyphs"` : '';
    parts.push(
      `<text x="${round(centre)}" y="${round(baseline)}" text-anchor="middle" font-family="monospace" font-size="${round(fontSize)}"${squeeze}>${escapeXml(line)}</text>`,
    );
  });
  parts.push('</g>');
  return parts.join('');
}

/** One closed rectangle per horizontal run of dark modules, in module units. */
function qrPath(matrix: QrMatrix): string {
  let d = '';
  for (let row = 0; row < matrix.size; row++) {
    for (let col = 0; col < matrix.size; ) {
      if (!matrix.isDark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < matrix.size && matrix.isDark(row, col)) col++;
      d += `M${start} ${row}h${col - start}v1h-${col - start}z`;
    }
  }
  return d;
}

function checkNumber(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new QrError('invalid_argument', `${what} must be a number from ${min} to ${max}`);
  }
  return value;
}

const round = (n: number, digits = 3): string => String(Number(n.toFixed(digits)));
