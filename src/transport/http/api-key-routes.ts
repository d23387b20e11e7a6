import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ROLES } from '../../accounts/account.js';
import type { Authenticator } from '../../accounts/authenticate.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyAdminDeps } from '../../accounts/manage-api-keys.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import {
  AccountApiKeyParams, ApiKeyIdParams, ApiKeyViewSchema, CreateApiKeySchema, CreatedApiKeySchema, UsernameParams,
} from './account-schemas.js';
import { errorResponses } from './schemas.js';

/**
 * Your own API keys under `/api/v1/me/api-keys` (HTTP Basic only: a key cannot mint or revoke
 * keys), and anyone's under `/api/v1/accounts/:username/api-keys` (admin, `accounts:admin`).
 */
export async function apiKeyRoutes(app: FastifyInstance, deps: ApiKeyAdminDeps & { auth: Authenticator }): Promise<void> {
  const tags = ['api keys'];
  const own = requireAccount(deps.auth, ROLES);
  const ownSecurity = routeSecurity();
  const admin = requireAccount(deps.auth, ['admin'], 'accounts:admin');
  const adminSecurity = routeSecurity('accounts:admin');

  app.get('/api/v1/me/api-keys', {
    preHandler: own,
    schema: { summary: 'Your API keys, oldest first (never the keys)', tags, security: ownSecurity, response: { 200: Type.Array(ApiKeyViewSchema), ...errorResponses } },
  }, async (request) => listApiKeys(deps, authenticatedAccount(request)));

  app.post('/api/v1/me/api-keys', {
    preHandler: own,
    schema: {
      summary: 'Create an API key; the key is in this response only', tags, security: ownSecurity,
      body: CreateApiKeySchema, response: { 201: CreatedApiKeySchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(await createApiKey(deps, authenticatedAccount(request), request.body as Record<string, unknown>)));

  app.delete('/api/v1/me/api-keys/:id', {
    preHandler: own,
    schema: { summary: 'Revoke one of your API keys, at once', tags, security: ownSecurity, params: ApiKeyIdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await revokeApiKey(deps, authenticatedAccount(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/api/v1/accounts/:username/api-keys', {
    preHandler: admin,
    schema: {
      summary: 'An account\'s API keys (never the keys)', tags, security: adminSecurity,
      params: UsernameParams, response: { 200: Type.Array(ApiKeyViewSchema), ...errorResponses },
    },
  }, async (request) => listApiKeys(deps, authenticatedAccount(request), { username: (request.params as { username: string }).username }));

  app.delete('/api/v1/accounts/:username/api-keys/:id', {
    preHandler: admin,
    schema: { summary: 'Revoke an account\'s API key, at once', tags, security: adminSecurity, params: AccountApiKeyParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const { username, id } = request.params as { username: string; id: string };
    await revokeApiKey(deps, authenticatedAccount(request), id, { username });
    return reply.code(204).send();
  });
}
