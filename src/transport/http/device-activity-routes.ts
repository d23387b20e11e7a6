import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { deviceActivity, type DeviceActivityDeps } from '../../devices/device-activity.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

const ActivitySchema = Type.Object({
  devEUI: Type.String(),
  sessions: Type.Integer({ description: 'Session keys kept for the device (one per accepted join, the newest few)' }),
  events: Type.Array(Type.Object({
    seq: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'Who acted; `another account` when it was not you (admins see every name)' }),
    action: Type.String({ examples: ['device.claimed'] }),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
  })),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'afterSeq of the next page; null on the last' }),
});

/**
 * `GET /api/v1/devices/{devEui}/activity`: a device's session count and its audit trail, for
 * everyone who may see the device (the console's device page). Scope `devices:read`.
 */
export async function deviceActivityRoutes(app: FastifyInstance, deps: DeviceActivityDeps & { auth: Authenticator }): Promise<void> {
  app.get('/api/v1/devices/:devEui/activity', {
    preHandler: requireAccount(deps.auth, ['admin', 'provisioner', 'owner'], 'devices:read'),
    schema: {
      summary: 'A device\'s session count and audit trail (by ascending seq)',
      description: 'Admins read every event as recorded. The maker and the holder read their own events whole and other '
        + 'accounts\' events without actor and identifying details; a holder reads the events since it claimed the device.',
      tags: ['devices'], security: routeSecurity('devices:read'),
      params: Type.Object({ devEui: Type.String({ description: 'DevEUI, 16 hex digits' }) }),
      querystring: Type.Object({
        afterSeq: Type.Optional(Type.String({ description: 'the `next` of the previous page' })),
        limit: Type.Optional(Type.String({ description: '1 to 1000, 100 by default' })),
      }),
      response: { 200: ActivitySchema, ...errorResponses },
    },
  }, async (request) => deviceActivity(
    deps, authenticatedAccount(request), (request.params as { devEui: string }).devEui, request.query as { afterSeq?: string; limit?: string },
  ));
}
