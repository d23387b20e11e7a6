import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSessions } from '../../accounts/console-session.js';
import { ForbiddenError } from '../../shared/errors.js';

/** The console's session cookie. */
export const SESSION_COOKIE = 'deed_session';
/** The header an unsafe request authenticated by the session cookie must carry. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie of the request, or null. */
export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** `Set-Cookie` of the session: HttpOnly, SameSite=Strict, Secure over HTTPS; `maxAgeSeconds` 0 clears it. */
export function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function carriesOtherCredentials(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;
}

function isSignIn(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.url.split('?')[0] === '/api/v1/session';
}

/**
 * Installs, on the instance that holds the management routes and the console (before its routes;
 * the Backend Interfaces, TTJS and health routes live outside it and never see these hooks), what
 * makes the console's session cookie a credential of the REST API:
 *
 * - `onRequest`: a request to `/api/…` with the cookie and no other credentials (HTTP Basic or an
 *   API key win) gets `request.consoleSession` when the session is live; `requireAccount` then
 *   treats it like HTTP Basic (the account's full role). An unsafe method (POST, PUT, PATCH,
 *   DELETE) with a live session must carry `X-CSRF-Token` (the token sign-in returned), else 403.
 * - `onSend`: no `WWW-Authenticate` to the console (`X-Requested-With` or the cookie), so a
 *   browser never pops up its own password dialog; a dead session's cookie is cleared.
 * - `onResponse`: a password change ends the account's other sessions.
 */
export function installConsoleSessions(app: FastifyInstance, sessions: ConsoleSessions): void {
  const stale = new WeakSet<FastifyRequest>();

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/')) return;
    const token = readCookie(request, SESSION_COOKIE);
    if (token === null || token === '' || carriesOtherCredentials(request)) return;
    const resolved = await sessions.resolve(token);
    if (resolved === null) {
      stale.add(request);
      return;
    }
    if (!SAFE_METHODS.has(request.method) && !isSignIn(request) && !sessions.csrfMatches(token, request.headers[CSRF_HEADER])) {
      throw new ForbiddenError('missing or wrong X-CSRF-Token: a request signed in with the console\'s session cookie must send the CSRF token sign-in returned');
    }
    request.consoleSession = { account: resolved.account, token, expiresAt: resolved.session.expiresAt };
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const fromConsole = request.headers['x-requested-with'] !== undefined || readCookie(request, SESSION_COOKIE) !== null;
    if (fromConsole && reply.statusCode === 401) reply.removeHeader('www-authenticate');
    if (stale.has(request) && reply.getHeader('set-cookie') === undefined) void reply.header('set-cookie', sessionCookie(request, '', 0));
    return payload;
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'PUT' || request.url.split('?')[0] !== '/api/v1/me/password' || reply.statusCode !== 204) return;
    const account = request.account;
    if (account === undefined) return;
    try {
      await sessions.endOtherSessions(account.id, request.consoleSession?.token ?? null);
    } catch (err) {
      request.log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'could not end the other console sessions');
    }
  });
}
