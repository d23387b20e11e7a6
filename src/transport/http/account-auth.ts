import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, Role } from '../../accounts/account.js';
import type { ApiKeyRecord } from '../../accounts/api-key.js';
import type { Authenticator, Principal } from '../../accounts/authenticate.js';
import { looksLikeApiKey } from '../../accounts/manage-api-keys.js';
import { roleAllowsScope, type Scope } from '../../accounts/scopes.js';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated account, set by `requireAccount`. */
    account?: AccountRecord;
    /** The API key the request authenticated with; undefined for HTTP Basic. */
    apiKey?: ApiKeyRecord;
    /** The web console's live session, set from its cookie by session-auth.ts (CSRF already checked). */
    consoleSession?: { readonly account: AccountRecord; readonly token: string; readonly expiresAt: Date };
  }
}

/**
 * What a route needs of an API key: one scope, or `any` (every key, e.g. `GET /api/v1/me`).
 * A route that declares nothing takes HTTP Basic only: API keys cannot change passwords or
 * manage API keys, so a leaked key cannot mint itself a successor.
 */
export type RouteScope = Scope | 'any';

/** Credentials a request carries. */
export type RequestCredentials =
  | { readonly kind: 'password'; readonly username: string; readonly password: string }
  | { readonly kind: 'api-key'; readonly key: string };

/** Reads HTTP Basic credentials; null when absent or not Basic. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The credentials of a request: HTTP Basic, or a Deed API key as `Authorization: Bearer dk_…`
 * or `X-API-Key: dk_…`. Null when there are none Deed recognises (a `bi_` peer token, say: peers
 * authenticate on `/api/bi` only, see peer-auth.ts). Both headers at once are refused.
 */
export function requestCredentials(headers: FastifyRequest['headers']): RequestCredentials | null {
  const authorization = headers.authorization;
  const headerKey = headers['x-api-key'];
  if (headerKey !== undefined) {
    if (authorization !== undefined) throw new UnauthorizedError('give either an Authorization header or X-API-Key, not both');
    const key = typeof headerKey === 'string' ? headerKey.trim() : '';
    return looksLikeApiKey(key) ? { kind: 'api-key', key } : null;
  }
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) {
    const key = authorization.slice(7).trim();
    return looksLikeApiKey(key) ? { kind: 'api-key', key } : null;
  }
  const basic = basicCredentials(authorization);
  return basic === null ? null : { kind: 'password', ...basic };
}

async function authenticate(auth: Authenticator, credentials: RequestCredentials): Promise<Principal> {
  if (credentials.kind === 'api-key') return auth.authenticateApiKey(credentials.key);
  return { account: await auth.authenticate(credentials.username, credentials.password), apiKey: null };
}

/**
 * A preHandler that authenticates the request (HTTP Basic, an API key, or the console's session
 * cookie, see session-auth.ts), then checks the account's role and, for an API key, that it
 * carries the route's `scope` (which the role must still allow). Without `scope` the route takes
 * HTTP Basic (or a console session) only.
 */
export function requireAccount(auth: Authenticator, roles: readonly Role[], scope?: RouteScope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const credentials = requestCredentials(request.headers);
    let principal: Principal;
    if (credentials !== null) principal = await authenticate(auth, credentials);
    // No header credentials: the console's session cookie, which acts like HTTP Basic (the full role).
    else if (request.consoleSession !== undefined) principal = { account: request.consoleSession.account, apiKey: null };
    else throw new UnauthorizedError();
    const { account, apiKey } = principal;
    if (!roles.includes(account.role)) {
      throw new ForbiddenError(`this needs the ${roles.join(' or ')} role; ${account.username} is ${account.role}`);
    }
    if (apiKey !== null) {
      if (scope === undefined) {
        throw new ForbiddenError('this needs a password (HTTP Basic): API keys cannot change passwords or manage API keys');
      }
      if (scope !== 'any' && (!apiKey.scopes.includes(scope) || !roleAllowsScope(account.role, scope))) {
        throw new ForbiddenError(`this API key lacks the ${scope} scope`);
      }
      request.apiKey = apiKey;
    }
    request.account = account;
  };
}

/** The account `requireAccount` set; a route without that preHandler is a programming error. */
export function authenticatedAccount(request: FastifyRequest): AccountRecord {
  if (request.account === undefined) throw new UnauthorizedError();
  return request.account;
}

/**
 * The OpenAPI `security` of a route: HTTP Basic, plus API keys (bearer or X-API-Key) with the
 * scope the route needs, when it takes them.
 */
export function routeSecurity(scope?: RouteScope): Record<string, string[]>[] {
  if (scope === undefined) return [{ basic: [] }];
  const scopes = scope === 'any' ? [] : [scope];
  return [{ basic: [] }, { apiKey: scopes }, { apiKeyHeader: scopes }];
}
