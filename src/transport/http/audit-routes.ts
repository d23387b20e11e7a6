import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import type { AuditLog } from '../../audit/audit-event.js';
import { listAuditEvents, verifyAuditLog } from '../../audit/read-audit.js';
import { requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

const AuditEventSchema = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  at: Type.String({ description: 'ISO 8601 UTC with milliseconds' }),
  actor: Type.String({ description: 'account username, "system" or a peer id' }),
  action: Type.String({ examples: ['device.created'] }),
  devEui: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer(), Type.Boolean(), Type.Null()])),
  prevHash: Type.String({ description: 'hash of the previous event; 64 zeros for the first' }),
  hash: Type.String({ description: 'SHA-256 of the canonical serialization (docs/audit.md)' }),
});

const VerifySchema = Type.Object({
  ok: Type.Boolean(),
  count: Type.Optional(Type.Integer({ description: 'events checked (when ok)' })),
  headHash: Type.Optional(Type.String({ description: 'hash of the last event (when ok): keep it elsewhere to detect truncation' })),
  firstBadSeq: Type.Optional(Type.Integer({ description: 'the first event that fails (when not ok)' })),
  reason: Type.Optional(Type.String()),
});

/** The audit log: `GET /api/v1/audit` and `GET /api/v1/audit/verify` (admin, scope `audit:read`). */
export async function auditRoutes(app: FastifyInstance, deps: { audit: AuditLog; auth: Authenticator }): Promise<void> {
  const tags = ['audit'];
  const preHandler = requireAccount(deps.auth, ['admin'], 'audit:read');
  const security = routeSecurity('audit:read');

  app.get('/api/v1/audit', {
    preHandler,
    schema: {
      summary: 'Audit events by ascending seq, optionally of one device', tags, security,
      querystring: Type.Object({
        devEui: Type.Optional(Type.String({ description: 'only events about this device' })),
        afterSeq: Type.Optional(Type.String({ description: 'only events after this seq (the `next` of the previous page)' })),
        limit: Type.Optional(Type.String({ description: '1 to 1000, 100 by default' })),
      }),
      response: { 200: Type.Object({ events: Type.Array(AuditEventSchema), next: Type.Union([Type.Integer(), Type.Null()]) }), ...errorResponses },
    },
  }, async (request) => listAuditEvents(deps, request.query as Record<string, string | undefined>));

  app.get('/api/v1/audit/verify', {
    preHandler,
    schema: {
      summary: 'Recompute every hash and link of the audit chain', tags, security,
      response: { 200: VerifySchema, ...errorResponses },
    },
  }, async () => verifyAuditLog(deps));
}
