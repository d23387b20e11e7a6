import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ROLES } from '../../accounts/account.js';
import {
  addAccount, changePassword, disableAccount, enableAccount, listAccounts, type AccountAdminDeps,
} from '../../accounts/manage-accounts.js';
import { ROLE_SCOPES, effectiveScopes } from '../../accounts/scopes.js';
import type { Authenticator } from '../../accounts/authenticate.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { AccountViewSchema, AddAccountSchema, ChangePasswordSchema, MeSchema, UsernameParams } from './account-schemas.js';
import { errorResponses } from './schemas.js';

/**
 * `GET /api/v1/me` (who the credentials belong to; the CLI checks credentials with it),
 * `PUT /api/v1/me/password`, and account administration under `/api/v1/accounts` (admin,
 * scope `accounts:admin`).
 */
export async function accountRoutes(app: FastifyInstance, deps: AccountAdminDeps & { auth: Authenticator }): Promise<void> {
  const tags = ['accounts'];
  const admin = requireAccount(deps.auth, ['admin'], 'accounts:admin');
  const adminSecurity = routeSecurity('accounts:admin');

  app.get('/api/v1/me', {
    preHandler: requireAccount(deps.auth, ROLES, 'any'),
    schema: {
      summary: 'The authenticated account, and what this request may do', tags, security: routeSecurity('any'),
      response: { 200: MeSchema, ...errorResponses },
    },
  }, async (request) => {
    const account = authenticatedAccount(request);
    const key = request.apiKey;
    return {
      id: account.id,
      username: account.username,
      role: account.role,
      authenticatedWith: key === undefined ? 'password' : 'api-key',
      scopes: key === undefined ? [...ROLE_SCOPES[account.role]] : effectiveScopes(account.role, key.scopes),
      ...(key !== undefined ? { apiKeyId: key.id } : {}),
    };
  });

  app.put('/api/v1/me/password', {
    preHandler: requireAccount(deps.auth, ROLES),
    schema: {
      summary: 'Change your own password (needs the current one; HTTP Basic only)', tags, security: routeSecurity(),
      body: ChangePasswordSchema, response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    await changePassword(deps, authenticatedAccount(request), request.body as Record<string, unknown>);
    return reply.code(204).send();
  });

  app.get('/api/v1/accounts', {
    preHandler: admin,
    schema: { summary: 'List accounts, by username', tags, security: adminSecurity, response: { 200: Type.Array(AccountViewSchema), ...errorResponses } },
  }, async (request) => listAccounts(deps, authenticatedAccount(request)));

  app.post('/api/v1/accounts', {
    preHandler: admin,
    schema: {
      summary: 'Create an account (admin, provisioner or owner)', tags, security: adminSecurity,
      body: AddAccountSchema, response: { 201: AccountViewSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(await addAccount(deps, authenticatedAccount(request), request.body as Record<string, unknown>)));

  app.post('/api/v1/accounts/:username/disable', {
    preHandler: admin,
    schema: {
      summary: 'Disable an account: its API keys stop at once, its password within 30 s', tags, security: adminSecurity,
      params: UsernameParams, response: { 200: AccountViewSchema, ...errorResponses },
    },
  }, async (request) => disableAccount(deps, authenticatedAccount(request), (request.params as { username: string }).username));

  app.post('/api/v1/accounts/:username/enable', {
    preHandler: admin,
    schema: {
      summary: 'Enable a disabled account', tags, security: adminSecurity,
      params: UsernameParams, response: { 200: AccountViewSchema, ...errorResponses },
    },
  }, async (request) => enableAccount(deps, authenticatedAccount(request), (request.params as { username: string }).username));
}
