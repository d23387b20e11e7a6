import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import type { ApplicationStore } from '../../applications/application.js';
import { addApplication, listApplications } from '../../applications/manage-applications.js';
import { claimDevice, type ClaimDeps, type ClaimInput } from '../../claiming/claim-device.js';
import { claimStatus, releaseDevice } from '../../claiming/release-device.js';
import type { Claimant } from '../../claiming/claimant.js';
import { DeedError } from '../../shared/deed-error.js';
import { InvalidInputError } from '../../shared/errors.js';
import { isRecord } from '../../shared/validate.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { DeviceViewSchema, errorResponses } from './schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** Most rows one bulk claim takes. */
export const MAX_BULK_CLAIM_ROWS = 10_000;

const ApplicationSchema = Type.Object({
  id: Type.String(), name: Nullable(Type.String()), homeNetId: Nullable(Type.String()), homeNsId: Nullable(Type.String()),
  asId: Nullable(Type.String()), asKekLabel: Nullable(Type.String()), createdAt: Type.String({ format: 'date-time' }),
});

const ClaimFields = {
  qr: Type.Optional(Type.String({ description: 'A TR005 QR code text (LW:D0:…, or the drafts) instead of joinEui/devEui/ownerToken' })),
  joinEui: Type.Optional(Type.String()),
  devEui: Type.Optional(Type.String()),
  ownerToken: Type.Optional(Type.String({ description: 'The claim authentication code' })),
};
const ClaimSettings = {
  applicationId: Type.Optional(Type.String({ description: 'Your application to claim into (may be left out when you have exactly one)' })),
  homeNetId: Type.Optional(Type.String()),
  homeNsId: Type.Optional(Type.String()),
  asId: Type.Optional(Type.String()),
  kek: Type.Optional(Type.Object({ label: Type.String(), key: Type.String() })),
  lock: Type.Optional(Type.Boolean()),
  regenerateOwnerToken: Type.Optional(Type.Boolean({ description: 'Default true: the printed code is spent' })),
};

/** One row's result of a bulk claim. */
type BulkResult =
  | { index: number; ok: true; devEUI: string; ownerToken: string | null }
  | { index: number; ok: false; devEUI?: string; code: string; message: string };

/**
 * Claiming through the REST API (owners, and admins): applications, claim by code or QR text,
 * bulk claim with per-row results, claim status and release. HTTP Basic or API keys with the
 * `claims:write` scope.
 */
export async function claimRoutes(app: FastifyInstance, deps: ClaimDeps & { auth: Authenticator; applicationStore: ApplicationStore }): Promise<void> {
  const guard = requireAccount(deps.auth, ['owner', 'admin'], 'claims:write');
  const security = routeSecurity('claims:write');
  const tags = ['claiming'];
  const claimant = (request: FastifyRequest): Claimant => ({ kind: 'account', account: authenticatedAccount(request) });

  app.get('/api/v1/applications', {
    preHandler: guard,
    schema: { summary: 'Your applications', tags, security, response: { 200: Type.Array(ApplicationSchema), ...errorResponses } },
  }, async (request) => listApplications({ applications: deps.applicationStore }, authenticatedAccount(request)));

  app.post('/api/v1/applications', {
    preHandler: guard,
    schema: {
      summary: 'Create an application (the unit of ownership) with default activation settings', tags, security,
      body: Type.Object({
        id: Type.String({ description: '2-36 lower-case letters, digits and dashes' }), name: Type.Optional(Type.String()),
        homeNetId: Type.Optional(Type.String()), homeNsId: Type.Optional(Type.String()), asId: Type.Optional(Type.String()),
        asKekLabel: Type.Optional(Type.String()),
      }, { additionalProperties: false }),
      response: { 201: ApplicationSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(
    await addApplication({ applications: deps.applicationStore }, authenticatedAccount(request), request.body as Record<string, unknown>),
  ));

  app.post('/api/v1/claims', {
    preHandler: guard,
    schema: {
      summary: 'Claim a device with its JoinEUI, DevEUI and owner token, or its QR code text', tags, security,
      body: Type.Object({ ...ClaimFields, ...ClaimSettings }, { additionalProperties: false }),
      response: { 201: DeviceViewSchema, ...errorResponses, 429: errorResponses[400] },
    },
  }, async (request, reply) => {
    const result = await claimDevice(deps, claimant(request), request.body as ClaimInput, { source: request.ip, via: 'rest' });
    return reply.code(201).send(result.device);
  });

  app.post('/api/v1/claims/bulk', {
    preHandler: guard,
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      summary: `Claim up to ${MAX_BULK_CLAIM_ROWS} devices; one result per row`, tags, security,
      body: Type.Object({ ...ClaimSettings, rows: Type.Array(Type.Unknown()) }),
    },
  }, async (request) => {
    const body = request.body as ClaimInput & { rows: unknown[] };
    if (body.rows.length === 0) throw new InvalidInputError('rows: give at least one row', 'rows');
    if (body.rows.length > MAX_BULK_CLAIM_ROWS) {
      throw new InvalidInputError(`rows: at most ${MAX_BULK_CLAIM_ROWS} rows per request; split the file`, 'rows');
    }
    const { rows, ...settings } = body;
    const seen = new Map<string, number>();
    const results: BulkResult[] = [];
    for (const [index, row] of rows.entries()) {
      results.push(await claimRow(deps, claimant(request), settings, row, index, seen, request.ip));
    }
    const failed = results.filter((r) => !r.ok).length;
    return { results, summary: { rows: results.length, claimed: results.length - failed, failed } };
  });

  app.get('/api/v1/devices/:devEui/claim', {
    preHandler: guard,
    schema: { summary: 'The claim of a device you hold', tags, security, params: Type.Object({ devEui: Type.String() }) },
  }, async (request) => claimStatus(deps, claimant(request), (request.params as { devEui: string }).devEui));

  app.delete('/api/v1/devices/:devEui/claim', {
    preHandler: guard,
    schema: {
      summary: 'Release (unclaim) a device you hold; it gets a new owner token, returned here, for the next owner', tags, security,
      params: Type.Object({ devEui: Type.String() }),
      body: Type.Optional(Type.Object({ ownerToken: Type.Optional(Type.String()) }, { additionalProperties: false })),
      response: { 200: Type.Object({ devEUI: Type.String(), ownerToken: Type.String() }), ...errorResponses },
    },
  }, async (request) => releaseDevice(
    deps, claimant(request), (request.params as { devEui: string }).devEui, (request.body ?? {}) as Record<string, unknown>, { via: 'rest' },
  ));
}

/** Claims one row of a bulk claim; never throws for a bad row. */
async function claimRow(
  deps: ClaimDeps, claimant: Claimant, settings: ClaimInput, row: unknown, index: number, seen: Map<string, number>, source: string,
): Promise<BulkResult> {
  if (!isRecord(row)) return { index, ok: false, code: 'invalid_input', message: 'a row must be an object with qr, or joinEui, devEui and ownerToken' };
  const devEuiText = typeof row['devEui'] === 'string' ? row['devEui'].toUpperCase() : undefined;
  try {
    const input: ClaimInput = {
      ...settings,
      ...(row['qr'] !== undefined ? { qr: row['qr'] } : {}),
      ...(row['joinEui'] !== undefined ? { joinEui: row['joinEui'] } : {}),
      ...(row['devEui'] !== undefined ? { devEui: row['devEui'] } : {}),
      ...(row['ownerToken'] !== undefined ? { ownerToken: row['ownerToken'] } : {}),
    };
    const key = devEuiText ?? (typeof row['qr'] === 'string' ? row['qr'] : '');
    const first = seen.get(key);
    if (key !== '' && first !== undefined) {
      return { index, ok: false, ...(devEuiText !== undefined ? { devEUI: devEuiText } : {}), code: 'duplicate', message: `the same device as row ${first}` };
    }
    if (key !== '') seen.set(key, index);
    const result = await claimDevice(deps, claimant, input, { source, via: 'bulk' });
    return { index, ok: true, devEUI: result.device.devEUI, ownerToken: result.device.ownerToken ?? null };
  } catch (error) {
    if (!(error instanceof DeedError)) throw error;
    return { index, ok: false, ...(devEuiText !== undefined ? { devEUI: devEuiText } : {}), code: error.code, message: error.message };
  }
}
