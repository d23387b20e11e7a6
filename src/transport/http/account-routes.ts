import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { requireAccount } from './account-auth.js';
import { errorResponses } from './schemas.js';

/** `GET /api/v1/me`: who the credentials belong to (the CLI checks credentials with it). */
export async function accountRoutes(app: FastifyInstance, deps: { auth: Authenticator }): Promise<void> {
  app.get('/api/v1/me', {
    preHandler: requireAccount(deps.auth, ['admin', 'provisioner', 'owner']),
    schema: {
      summary: 'The authenticated account', tags: ['accounts'], security: [{ basic: [] }],
      response: { 200: Type.Object({ username: Type.String(), role: Type.String() }), ...errorResponses },
    },
  }, async (request) => ({ username: request.account?.username ?? '', role: request.account?.role ?? '' }));
}
