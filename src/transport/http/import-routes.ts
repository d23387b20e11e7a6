import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { DeedError } from '../../shared/deed-error.js';
import { IMPORT_FORMATS, importDevices, type ImportDeps, type ImportEvent, type ImportTarget } from '../../provisioning/import-devices.js';
import type { AccountRecord } from '../../accounts/account.js';
import { claimDevice, claimTarget, type ClaimDeps } from '../../claiming/claim-device.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

const NDJSON = 'application/x-ndjson';

/** One NDJSON line of an import event. */
function line(event: ImportEvent): string {
  switch (event.type) {
    case 'result': return `${JSON.stringify({ type: 'result', ...event.result })}\n`;
    case 'progress': return `${JSON.stringify({ type: 'progress', ...event.progress })}\n`;
    case 'summary': return `${JSON.stringify({ type: 'summary', ...event.progress, fileSha256: event.fileSha256, dryRun: event.dryRun })}\n`;
  }
}

function wantsNdjson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes(NDJSON);
}

/**
 * `POST /api/v1/devices/import?format=…`: the request body is the file itself (any content
 * type), streamed, never buffered whole; so there is no body limit. With `Accept:
 * application/x-ndjson` the answer streams one JSON line per entry (`type: result`), progress
 * lines after each batch (`type: progress`) and a last `type: summary` (or `type: error` when
 * the file turns out malformed half-way). Otherwise the answer is one JSON object with
 * `results` and `summary`, after the whole file.
 */
/** The application an owner imports into, and how the import claims devices registered already. */
async function importTarget(claims: ClaimDeps, account: AccountRecord, applicationId: string, setClaimCode: boolean, source: string): Promise<ImportTarget> {
  const claimant = { kind: 'account', account } as const;
  const application = await claimTarget(claims, claimant, applicationId);
  return {
    application,
    setClaimCode,
    async claim(entry) {
      const result = await claimDevice(claims, claimant, {
        joinEui: entry.joinEui, devEui: entry.devEui, ownerToken: entry.ownerToken ?? '', applicationId: application.id,
      }, { source, via: 'import' });
      return { ownerToken: result.device.ownerToken ?? null, rootKeysExposed: result.device.rootKeysExposed };
    },
  };
}

export async function importRoutes(app: FastifyInstance, deps: ImportDeps & { auth: Authenticator; claims: ClaimDeps }): Promise<void> {
  // In this plugin only: hand the raw body stream to the route, whatever its type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const guard = requireAccount(deps.auth, ['admin', 'provisioner', 'owner'], 'devices:write');
  app.post('/api/v1/devices/import', {
    preHandler: guard,
    bodyLimit: Number.MAX_SAFE_INTEGER,
    schema: {
      summary: 'Import devices from a Microchip manifest, CSV or JSON file (the request body)',
      description: 'Per-entry results; bad entries never stop the import. Re-importing a file imports nothing twice.',
      tags: ['devices'], security: routeSecurity('devices:write'),
      querystring: Type.Object({
        format: Type.String({ description: IMPORT_FORMATS.join(', ') }),
        dryRun: Type.Optional(Type.String({ description: '`true`: validate only, write nothing' })),
        joinEui: Type.Optional(Type.String({ description: 'JoinEUI for CSV/JSON rows without one' })),
        applicationId: Type.Optional(Type.String({ description: 'Owners: import into this application of yours, claiming every device' })),
        setClaimCode: Type.Optional(Type.String({ description: '`true`: give each device a new claim authentication code (for a later hand-over)' })),
      }),
      response: errorResponses,
    },
  }, async (request, reply) => {
    const q = request.query as { format: string; dryRun?: string; joinEui?: string; applicationId?: string; setClaimCode?: string };
    const body = request.body;
    const source = body === undefined || body === null ? '' : (body as Readable);
    const actor = authenticatedAccount(request);
    const target = q.applicationId === undefined || q.applicationId === '' ? undefined
      : await importTarget(deps.claims, actor, q.applicationId, q.setClaimCode === 'true' || q.setClaimCode === '1', request.ip);
    const events = importDevices(deps, {
      format: q.format,
      source,
      actor,
      ...(target !== undefined ? { target } : {}),
      dryRun: q.dryRun === 'true' || q.dryRun === '1',
      ...(q.joinEui !== undefined && q.joinEui !== '' ? { defaultJoinEui: q.joinEui } : {}),
    });
    // The first step validates the request and reads the first batch: its errors are ordinary problem answers.
    const first = await events.next();
    if (!wantsNdjson(request)) {
      const results: unknown[] = [];
      let summary: unknown = null;
      for (let step = first; step.done !== true; step = await events.next()) {
        const event = step.value;
        if (event.type === 'result') results.push(event.result);
        if (event.type === 'summary') summary = { ...event.progress, fileSha256: event.fileSha256, dryRun: event.dryRun };
      }
      return reply.type('application/json').send({ results, summary });
    }
    async function* lines(): AsyncGenerator<string> {
      try {
        for (let step = first; step.done !== true; step = await events.next()) yield line(step.value);
      } catch (error) {
        const known = error instanceof DeedError;
        if (!known) request.log.error({ err: { name: (error as Error).name, message: (error as Error).message } }, 'import failed');
        yield `${JSON.stringify({ type: 'error', code: known ? error.code : 'internal', message: known ? error.message : 'internal error; see the server log' })}\n`;
      } finally {
        // The client went away mid-answer: end the import here (its readers stop, its worker threads too).
        await events.return(undefined);
      }
    }
    return reply.type(NDJSON).send(Readable.from(lines()));
  });
}
