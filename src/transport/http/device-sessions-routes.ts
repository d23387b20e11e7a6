import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import type { DeviceAccessDeps } from '../../devices/device-access.js';
import { deviceSessionCount } from '../../devices/device-sessions.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

/**
 * `GET /api/v1/devices/{devEui}/sessions`: how many session keys Deed keeps for a device (the
 * console's device page), never the keys. Everyone who may see the device; scope `devices:read`.
 */
export async function deviceSessionsRoutes(app: FastifyInstance, deps: DeviceAccessDeps & { auth: Authenticator }): Promise<void> {
  app.get('/api/v1/devices/:devEui/sessions', {
    preHandler: requireAccount(deps.auth, ['admin', 'provisioner', 'owner'], 'devices:read'),
    schema: {
      summary: 'How many sessions (accepted joins) Deed keeps for a device; never their keys',
      tags: ['devices'], security: routeSecurity('devices:read'),
      params: Type.Object({ devEui: Type.String({ description: 'DevEUI, 16 hex digits' }) }),
      response: {
        200: Type.Object({
          devEUI: Type.String(),
          sessions: Type.Integer({ description: 'Session keys kept: one per accepted join, the newest few' }),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => deviceSessionCount(deps, authenticatedAccount(request), (request.params as { devEui: string }).devEui));
}
