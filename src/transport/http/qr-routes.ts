import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { MAX_QR_SHEET_DEVICES, deviceQrCode, deviceQrCodes, type DeviceQrCode, type DeviceQrDeps } from '../../devices/device-qr-code.js';
import { QrError, renderLabelSheetSvg, renderLabelSheetsSvg, renderQrPng, renderQrSvg, type QrLabel } from '../../qr/index.js';
import { InvalidInputError } from '../../shared/errors.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

const CODE_FORMATS = ['png', 'svg', 'text'] as const;
const SHEET_FORMATS = ['html', 'svg'] as const;
/** Longest device name printed under a label; longer ones are cut with an ellipsis. */
const MAX_CAPTION_NAME = 32;

const QrText = Type.Object({
  devEui: Type.String(),
  qr: Type.String({ description: 'TR005 text LW:D0:<JoinEUI>:<DevEUI>:<ProfileID>:O<owner token>[:S<serial>]; a secret' }),
});
const binary = (description: string) => ({ schema: Type.String({ format: 'binary', description }) });

/**
 * TR005 QR codes carrying the owner token, for device labels: `GET /api/v1/devices/{devEui}/qr`
 * (PNG, SVG or the text) and `POST /api/v1/devices/qr-sheet` (printable A4 label sheets). The
 * maker prints its inventory's, the holder of a claimed device a hand-over label, an admin any;
 * everyone else gets 404 (another tenant's device) or 403 (a maker's claimed device).
 */
export async function qrRoutes(app: FastifyInstance, deps: DeviceQrDeps & { auth: Authenticator }): Promise<void> {
  const read = {
    preHandler: requireAccount(deps.auth, ['admin', 'provisioner', 'owner'], 'devices:read'), security: routeSecurity('devices:read'),
  };
  const tags = ['devices'];

  app.get('/api/v1/devices/:devEui/qr', {
    preHandler: read.preHandler,
    schema: {
      summary: 'The device\'s TR005 QR code with its owner token, as PNG, SVG or text',
      description: 'The code carries the owner token: whoever holds it may claim the device. `text` answers JSON.',
      tags, security: read.security,
      params: Type.Object({ devEui: Type.String({ description: 'DevEUI, 16 hex digits' }) }),
      querystring: Type.Object({ format: Type.Optional(Type.String({ description: 'png (default), svg or text' })) }),
      response: {
        200: {
          description: 'The QR code',
          content: {
            'image/png': binary('PNG, 8 pixels per module, 4-module quiet zone'),
            'image/svg+xml': { schema: Type.String() },
            'application/json': { schema: QrText },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const format = choice('format', (request.query as { format?: string }).format, CODE_FORMATS, 'png');
    const code = await deviceQrCode(deps, authenticatedAccount(request), (request.params as { devEui: string }).devEui);
    secret(reply);
    if (format === 'text') return reply.type('application/json').send({ devEui: code.devEui, qr: code.text });
    void reply.header('content-disposition', `inline; filename="${code.devEui}.${format}"`);
    if (format === 'svg') return reply.type('image/svg+xml').send(await renderQrSvg(code.text));
    return reply.type('image/png').send(await renderQrPng(code.text));
  });

  app.post('/api/v1/devices/qr-sheet', {
    preHandler: read.preHandler,
    schema: {
      summary: 'Printable A4 label sheets: one TR005 QR code per device, its DevEUI (and name) beneath',
      description: `Up to ${MAX_QR_SHEET_DEVICES} devices, in the order given; all or nothing (the first device you may not `
        + 'print fails the request, naming it). `html` (default) is one page per A4 sheet, ready to print at 100 %; '
        + '`svg` is one A4 sheet and refuses more labels than fit on it.',
      tags, security: read.security,
      body: Type.Object({
        devEuis: Type.Array(Type.String({ description: 'DevEUI, 16 hex digits' }), { description: `1 to ${MAX_QR_SHEET_DEVICES} DevEUIs` }),
        format: Type.Optional(Type.String({ description: 'html (default) or svg' })),
      }, { additionalProperties: false }),
      response: {
        200: {
          description: 'The label sheets',
          content: { 'text/html': { schema: Type.String() }, 'image/svg+xml': { schema: Type.String() } },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const body = request.body as { devEuis: unknown; format?: string };
    const format = choice('format', body.format, SHEET_FORMATS, 'html');
    const labels = (await deviceQrCodes(deps, authenticatedAccount(request), body.devEuis)).map(label);
    const document = format === 'svg' ? oneSheet(labels) : labelSheetsHtml(renderLabelSheetsSvg(labels), labels.length);
    secret(reply);
    void reply.header('content-disposition', `inline; filename="deed-labels.${format}"`);
    if (format === 'svg') return reply.type('image/svg+xml').send(document);
    // The page is served from the API's origin: it may not run or load anything.
    void reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return reply.type('text/html; charset=utf-8').send(document);
  });
}

/** The answer carries an owner token: no cache may keep it. */
function secret(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
}

function choice<T extends string>(field: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(`${field}: expected ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`, field);
  }
  return value as T;
}

/** A label: the code, the DevEUI beneath it, and the name when the device has one. */
function label(code: DeviceQrCode): QrLabel {
  const name = code.name === null ? [] : [
    [...code.name].length > MAX_CAPTION_NAME ? `${[...code.name].slice(0, MAX_CAPTION_NAME - 1).join('')}…` : code.name,
  ];
  return { text: code.text, caption: [`DevEUI ${code.devEui}`, ...name] };
}

function oneSheet(labels: readonly QrLabel[]): string {
  try {
    return renderLabelSheetSvg(labels);
  } catch (err) {
    const capacity = err instanceof QrError ? err.details?.['capacity'] : undefined;
    if (typeof capacity !== 'number') throw err;
    throw new InvalidInputError(
      `format: ${labels.length} labels do not fit on one A4 SVG sheet (at most ${capacity}); ask for html, which prints one page per sheet`,
      'format',
    );
  }
}

/** The SVG sheets as one HTML document, one sheet per printed A4 page. */
function labelSheetsHtml(sheets: readonly string[], count: number): string {
  const pages = sheets.map((svg) => `<section class="sheet">\n${svg.replace(/^<\?xml[^>]*\?>\s*/, '').trimEnd()}\n</section>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>Deed QR labels: ${count} device${count === 1 ? '' : 's'}, ${sheets.length} A4 sheet${sheets.length === 1 ? '' : 's'}</title>`,
    '<style>',
    '@page { size: A4 portrait; margin: 0; }',
    'html, body { margin: 0; padding: 0; }',
    '.sheet { width: 210mm; height: 297mm; overflow: hidden; break-after: page; page-break-after: always; }',
    '.sheet:last-child { break-after: auto; page-break-after: auto; }',
    '.sheet > svg { display: block; width: 210mm; height: 297mm; }',
    '@media screen { body { background: #777; } .sheet { margin: 8mm auto; background: #fff; box-shadow: 0 0 4mm #333; } }',
    '</style>',
    '</head>',
    '<body>',
    ...pages,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
