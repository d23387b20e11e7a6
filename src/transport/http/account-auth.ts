import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, Role } from '../../accounts/account.js';
import type { Authenticator } from '../../accounts/authenticate.js';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated account, set by `requireAccount`. */
    account?: AccountRecord;
  }
}

/** Reads HTTP Basic credentials; null when absent or not Basic. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A preHandler that authenticates the account (HTTP Basic) and checks its role. */
export function requireAccount(auth: Authenticator, roles: readonly Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const credentials = basicCredentials(request.headers.authorization);
    if (credentials === null) throw new UnauthorizedError();
    const account = await auth.authenticate(credentials.username, credentials.password);
    if (!roles.includes(account.role)) {
      throw new ForbiddenError(`this needs the ${roles.join(' or ')} role; ${account.username} is ${account.role}`);
    }
    request.account = account;
  };
}
