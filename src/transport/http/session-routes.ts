import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AccountRecord } from '../../accounts/account.js';
import type { ConsoleSessions } from '../../accounts/console-session.js';
import { ROLE_SCOPES } from '../../accounts/scopes.js';
import { UnauthorizedError } from '../../shared/errors.js';
import { RoleSchema } from './account-schemas.js';
import { errorResponses, ProblemSchema } from './schemas.js';
import { SESSION_COOKIE, readCookie, sessionCookie } from './session-auth.js';

const SessionSchema = Type.Object({
  id: Type.String({ description: 'The account id' }),
  username: Type.String(),
  role: RoleSchema,
  scopes: Type.Array(Type.String(), { description: 'What the session may do: the role\'s scopes (a session acts like a password login)' }),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the session cookie' }),
  expiresAt: Type.String({ format: 'date-time', description: 'When the session ends (12 hours after sign-in)' }),
});

function view(account: AccountRecord, csrfToken: string, expiresAt: Date) {
  return {
    id: account.id, username: account.username, role: account.role, scopes: [...ROLE_SCOPES[account.role]],
    csrfToken, expiresAt: expiresAt.toISOString(),
  };
}

function secondsUntil(at: Date): number {
  return Math.max(0, Math.floor((at.getTime() - Date.now()) / 1000));
}

/**
 * The web console's sign-in: `POST /api/v1/session` (username and password → an HttpOnly,
 * SameSite=Strict session cookie, and a CSRF token), `GET /api/v1/session` (the signed-in
 * account and its CSRF token again, e.g. after a reload) and `DELETE /api/v1/session` (sign out).
 */
export async function sessionRoutes(app: FastifyInstance, deps: { sessions: ConsoleSessions }): Promise<void> {
  const tags = ['session'];
  const live = (request: FastifyRequest) => {
    if (request.consoleSession === undefined) throw new UnauthorizedError('not signed in (no live console session)');
    return request.consoleSession;
  };

  app.post('/api/v1/session', {
    schema: {
      summary: 'Sign in (the web console): sets the session cookie and returns the CSRF token',
      description: `Sets \`${SESSION_COOKIE}\` (HttpOnly, SameSite=Strict, Secure over HTTPS), valid 12 hours. Send the cookie `
        + 'and `X-CSRF-Token` (every unsafe method) instead of HTTP Basic; the session has the account\'s full role. '
        + 'Failed sign-ins are limited per username and client address: 429 with Retry-After once locked out.',
      tags, security: [],
      body: Type.Object({
        username: Type.String({ minLength: 1, maxLength: 1024 }), password: Type.String({ minLength: 1, maxLength: 1024 }),
      }, { additionalProperties: false }),
      response: { 201: SessionSchema, ...errorResponses, 429: ProblemSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { username: string; password: string };
    const signedIn = await deps.sessions.signIn(body.username, body.password, request.ip);
    void reply.header('set-cookie', sessionCookie(request, signedIn.token, secondsUntil(signedIn.expiresAt)));
    void reply.header('cache-control', 'no-store');
    return reply.code(201).send(view(signedIn.account, signedIn.csrfToken, signedIn.expiresAt));
  });

  app.get('/api/v1/session', {
    schema: {
      summary: 'The signed-in account of the session cookie, and its CSRF token',
      tags, security: [{ sessionCookie: [] }], response: { 200: SessionSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const session = live(request);
    void reply.header('cache-control', 'no-store');
    return view(session.account, deps.sessions.csrfToken(session.token), session.expiresAt);
  });

  app.delete('/api/v1/session', {
    schema: {
      summary: 'Sign out: ends the session and clears the cookie (needs X-CSRF-Token)',
      tags, security: [{ sessionCookie: [] }], response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const token = request.consoleSession?.token ?? readCookie(request, SESSION_COOKIE);
    if (token !== null && token !== '') await deps.sessions.signOut(token);
    void reply.header('set-cookie', sessionCookie(request, '', 0));
    return reply.code(204).send();
  });
}
