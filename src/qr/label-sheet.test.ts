import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { formatDeviceQr, parseDeviceQr } from '../lorawan/index.js';
import { decodeQrImage } from './decode-qr-image.js';
import { QrError } from './errors.js';
import { MAX_CAPTION_LINES, renderLabelSheetSvg, renderLabelSheetsSvg, type QrLabel } from './label-sheet.js';
import { thrown } from '../../test/support/thrown.js';

/** A label as the provisioning flow will print it: TR005 text, DevEUI and owner token beneath. */
function deviceLabel(i: number): QrLabel {
  const devEui = `70B3D57ED005${i.toString(16).toUpperCase().padStart(4, '0')}`;
  const ownerToken = `TOKEN${i}`;
  const text = formatDeviceQr(parseDeviceQr(`LW:D0:70B3D57ED0000000:${devEui}:00000000:O${ownerToken}`));
  return { text, caption: [`DevEUI ${devEui}`, `Owner token ${ownerToken}`] };
}

const count = (svg: string, needle: string): number => svg.split(needle).length - 1;

/**
 * Rasterises the n-th QR path of a sheet (the `M x yhWv1h-Wz` runs this module writes) at 4 px per
 * module with a 4-module quiet zone, and reads it back through the real PNG + jsQR pipeline.
 */
function readQrOfSheet(svg: string, n: number): string {
  const paths = [...svg.matchAll(/<path class="qr"[^>]* d="([^"]*)"/g)];
  const d = paths[n]?.[1] ?? '';
  const runs = [...d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)].map((m) => m.slice(1, 4).map(Number) as [number, number, number]);
  expect(runs.length).toBeGreaterThan(0);
  const modules = Math.max(...runs.map(([x, , w]) => x + w), ...runs.map(([, y]) => y + 1));
  const px = 4;
  const side = (modules + 8) * px;
  const png = new PNG({ width: side, height: side });
  png.data.fill(255);
  for (const [x, y, w] of runs) {
    for (let yy = (y + 4) * px; yy < (y + 5) * px; yy++) {
      for (let xx = (x + 4) * px; xx < (x + 4 + w) * px; xx++) png.data.fill(0, (yy * side + xx) * 4, (yy * side + xx) * 4 + 3);
    }
  }
  return decodeQrImage(PNG.sync.write(png));
}

describe('renderLabelSheetSvg', () => {
  it('draws an A4 sheet with one QR code per label, each carrying its label text', () => {
    const labels = Array.from({ length: 7 }, (_, i) => deviceLabel(i));
    const svg = renderLabelSheetSvg(labels);
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="210mm" height="297mm" viewBox="0 0 210 297">/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(count(svg, '<g class="label">')).toBe(7);
    expect(count(svg, '<path class="qr"')).toBe(7);
    labels.forEach((label, i) => expect(readQrOfSheet(svg, i)).toBe(label.text));
  });

  it('prints every caption line beneath its code', () => {
    const labels = [deviceLabel(1), deviceLabel(2)];
    const svg = renderLabelSheetSvg(labels);
    for (const label of labels) {
      for (const line of label.caption) expect(svg).toContain(`>${line}</text>`);
    }
    expect(count(svg, 'font-family="monospace"')).toBe(4);
  });

  it('escapes captions and the title for XML', () => {
    const svg = renderLabelSheetSvg(
      [{ text: 'LW:D0:1', caption: [`<script>&"'</script>`, 'bell\u0007 ok'] }],
      { title: 'Batch <1> & "2"' },
    );
    expect(svg).toContain('>&lt;script&gt;&amp;&quot;&apos;&lt;/script&gt;</text>');
    expect(svg).toContain('>bell\ufffd ok</text>');
    expect(svg).toContain('>Batch &lt;1&gt; &amp; &quot;2&quot;</text>');
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('\u0007');
    // Every & starts an entity.
    expect(svg.match(/&(?!amp;|lt;|gt;|quot;|apos;)/g)).toBeNull();
  });

  it('condenses caption lines too wide for their cell', () => {
    const svg = renderLabelSheetSvg([{ text: 'x', caption: ['short', 'W'.repeat(80)] }]);
    expect(count(svg, 'lengthAdjust="spacingAndGlyphs"')).toBe(1);
  });

  it('accepts labels without captions', () => {
    const svg = renderLabelSheetSvg([{ text: 'LW:D0:1', caption: [] }]);
    expect(count(svg, '<text')).toBe(0);
  });

  it('refuses more labels than one sheet holds, naming the capacity', () => {
    const labels = Array.from({ length: 40 }, (_, i) => deviceLabel(i));
    const error = thrown(QrError, () => renderLabelSheetSvg(labels));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/40 labels do not fit on one A4 sheet: at most \d+/);
    expect(error.details?.['capacity']).toBeGreaterThan(0);
  });

  it.each([
    ['no labels', [], undefined, /non-empty array/],
    ['a label without text', [{ text: '', caption: [] }], undefined, /label 0: text/],
    ['a caption that is not an array', [{ text: 'a', caption: 'DevEUI' }], undefined, /caption must be an array/],
    ['too many caption lines', [{ text: 'a', caption: Array(MAX_CAPTION_LINES + 1).fill('x') }], undefined, /at most 6/],
    ['a QR code wider than its column', [{ text: 'a', caption: [] }], { columns: 5, qrSizeMm: 40 }, /does not fit in 5 columns/],
    ['zero columns', [{ text: 'a', caption: [] }], { columns: 0 }, /columns must be an integer/],
    ['a negative font size', [{ text: 'a', caption: [] }], { fontSizeMm: -1 }, /fontSizeMm/],
  ])('refuses %s', (_, labels, options, message) => {
    const error = thrown(QrError, () => renderLabelSheetSvg(labels as QrLabel[], options));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(message);
  });

  it('refuses a label text too long for a QR code', () => {
    expect(thrown(QrError, () => renderLabelSheetSvg([{ text: 'A'.repeat(5000), caption: [] }])).code).toBe('text_too_long');
  });
});

describe('renderLabelSheetsSvg', () => {
  it('paginates many labels over as many sheets as needed, every label exactly once', () => {
    const labels = Array.from({ length: 40 }, (_, i) => deviceLabel(i));
    const perSheet = Number(/at most (\d+)/.exec(thrown(QrError, () => renderLabelSheetSvg(labels)).message)?.[1]);
    const sheets = renderLabelSheetsSvg(labels);
    expect(sheets).toHaveLength(Math.ceil(40 / perSheet));
    expect(sheets.reduce((n, svg) => n + count(svg, '<path class="qr"'), 0)).toBe(40);
    const last = sheets[sheets.length - 1] ?? '';
    expect(readQrOfSheet(last, count(last, '<path class="qr"') - 1)).toBe(labels[39]?.text);
    expect(last).toContain('>Owner token TOKEN39</text>');
  });

  it('honours columns and QR size', () => {
    const labels = Array.from({ length: 12 }, (_, i) => deviceLabel(i));
    expect(renderLabelSheetsSvg(labels, { columns: 4, qrSizeMm: 30 })).toHaveLength(1);
    expect(renderLabelSheetsSvg(labels, { columns: 1, qrSizeMm: 100 }).length).toBeGreaterThan(1);
  });
});
