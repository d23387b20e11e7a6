import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { generateToken, hashToken } from '../keyvault/secret-token.js';
import { DeedError } from '../shared/deed-error.js';
import { InvalidInputError, UnauthorizedError } from '../shared/errors.js';
import type { AccountRecord, AccountStore } from './account.js';
import type { Authenticator } from './authenticate.js';
import type { SignInLimiter } from './sign-in-limiter.js';

/** A web console session: an account signed in with its password; only the token's SHA-256 is stored. */
export interface ConsoleSessionRecord {
  readonly id: string;
  readonly accountId: string;
  /** SHA-256 (lower-case hex) of the session token. */
  readonly tokenHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** Storage port of console sessions. */
export interface ConsoleSessionStore {
  create(session: ConsoleSessionRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<ConsoleSessionRecord | null>;
  /** False when there was no such session. */
  remove(id: string): Promise<boolean>;
  /** Ends every session of an account but `exceptId`; returns how many ended. */
  removeForAccount(accountId: string, exceptId?: string): Promise<number>;
  /** Deletes the sessions that expired at or before `now`; returns how many. */
  removeExpired(now: Date): Promise<number>;
}

/** How long a session lasts from sign-in: 12 hours. */
export const CONSOLE_SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** What console sessions need. */
export interface ConsoleSessionDeps {
  readonly store: ConsoleSessionStore;
  readonly accounts: Pick<AccountStore, 'getById'>;
  readonly auth: Pick<Authenticator, 'authenticate'>;
  readonly limiter: SignInLimiter;
  readonly clock: { now(): Date };
  readonly lifetimeMs?: number;
}

/** A new session: the token goes into the cookie, the CSRF token to the client's memory. */
export interface SignedIn {
  readonly token: string;
  readonly csrfToken: string;
  readonly account: AccountRecord;
  readonly expiresAt: Date;
}

/** A live session and its account. */
export interface ResolvedSession {
  readonly session: ConsoleSessionRecord;
  readonly account: AccountRecord;
}

/** The console's sign-in, session lookup and sign-out. */
export interface ConsoleSessions {
  /**
   * Checks the password (after the sign-in limiter: a correct password does not bypass a
   * lock-out) and opens a session. `source` is the client address.
   * @throws UnauthorizedError, DeedError `rate_limited` (details.retryAfterSeconds)
   */
  signIn(username: unknown, password: unknown, source: string): Promise<SignedIn>;
  /** The session of a token, null when unknown, expired, or its account is disabled or gone (read on every call). */
  resolve(token: string): Promise<ResolvedSession | null>;
  /** The CSRF token of a session token (derived from it, so nothing more is stored). */
  csrfToken(token: string): string;
  /** True when `given` is the CSRF token of `token` (constant time). */
  csrfMatches(token: string, given: unknown): boolean;
  /** Ends the session of a token, if any. */
  signOut(token: string): Promise<void>;
  /** Ends every other session of the account (after a password change). */
  endOtherSessions(accountId: string, keepToken: string | null): Promise<void>;
}

/** Prefix of session tokens: `ds_` + 43 base64url characters (256 random bits). */
const TOKEN_PREFIX = 'ds';
const MAX_FIELD = 1024;

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_FIELD) {
    throw new InvalidInputError(`${field}: required, at most ${MAX_FIELD} characters`, field);
  }
  return value;
}

/** Sign-in refused by the limiter: wait `retryAfterSeconds`. */
export function signInRateLimited(retryAfterSeconds: number): DeedError {
  return new DeedError('rate_limited', `too many failed sign-ins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/**
 * Console sessions over a store. Sessions last `lifetimeMs` (12 h) from sign-in; a session of a
 * disabled account stops at once (the account is read on every request).
 */
export function createConsoleSessions(deps: ConsoleSessionDeps): ConsoleSessions {
  const lifetimeMs = deps.lifetimeMs ?? CONSOLE_SESSION_LIFETIME_MS;
  const csrfToken = (token: string): string => createHmac('sha256', token).update('deed console csrf').digest('base64url');

  return {
    async signIn(usernameInput, passwordInput, source) {
      const username = text('username', usernameInput).trim().toLowerCase();
      const password = text('password', passwordInput);
      const now = deps.clock.now();
      const wait = deps.limiter.check(username, source, now);
      if (wait !== null) throw signInRateLimited(wait);
      let account: AccountRecord;
      try {
        account = await deps.auth.authenticate(username, password);
      } catch (error) {
        if (error instanceof UnauthorizedError) {
          const locked = deps.limiter.recordFailure(username, source, now);
          if (locked !== null) throw signInRateLimited(locked);
          throw new UnauthorizedError('wrong username or password');
        }
        throw error;
      }
      deps.limiter.recordSuccess(username, now);
      await deps.store.removeExpired(now);
      const token = generateToken(TOKEN_PREFIX, 32);
      const expiresAt = new Date(now.getTime() + lifetimeMs);
      await deps.store.create({ id: randomUUID(), accountId: account.id, tokenHash: hashToken(token), createdAt: now, expiresAt });
      return { token, csrfToken: csrfToken(token), account, expiresAt };
    },

    async resolve(token) {
      if (!token.startsWith(`${TOKEN_PREFIX}_`) || token.length > 128) return null;
      const session = await deps.store.findByHash(hashToken(token));
      if (session === null) return null;
      if (session.expiresAt.getTime() <= deps.clock.now().getTime()) {
        await deps.store.remove(session.id);
        return null;
      }
      const account = await deps.accounts.getById(session.accountId);
      if (account === null || account.disabled) return null;
      return { session, account };
    },

    csrfToken,

    csrfMatches(token, given) {
      if (typeof given !== 'string') return false;
      const expected = Buffer.from(csrfToken(token));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },

    async signOut(token) {
      const session = await deps.store.findByHash(hashToken(token));
      if (session !== null) await deps.store.remove(session.id);
    },

    async endOtherSessions(accountId, keepToken) {
      const keep = keepToken === null ? null : await deps.store.findByHash(hashToken(keepToken));
      await deps.store.removeForAccount(accountId, keep?.accountId === accountId ? keep.id : undefined);
    },
  };
}
