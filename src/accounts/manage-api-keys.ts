import { randomBytes } from 'node:crypto';
import { generateToken, hashToken } from '../keyvault/secret-token.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import type { AccountRecord, AccountStore } from './account.js';
import { toApiKeyView, type ApiKeyView } from './account-view.js';
import type { ApiKeyStore } from './api-key.js';
import { parseUsername } from './manage-accounts.js';
import { ROLE_SCOPES, SCOPES, isScope, roleAllowsScope, type Scope } from './scopes.js';

/** What API key management needs. */
export interface ApiKeyAdminDeps {
  readonly apiKeys: ApiKeyStore;
  readonly accounts: AccountStore;
  /** The system clock by default. */
  readonly now?: () => Date;
}

/** A key to create, as a transport received it (validated here). */
export interface CreateApiKeyInput {
  readonly name?: unknown;
  readonly scopes?: unknown;
  /** A Date or an ISO 8601 date-time in the future; absent or null: the key does not expire. */
  readonly expiresAt?: unknown;
}

/** The prefix of every API key, so a leaked one is recognisable (and told apart from `bi_` peer tokens). */
export const API_KEY_PREFIX = 'dk';
const API_KEY_BYTES = 32;
const NAME_MAX_LENGTH = 100;

/** True when `value` looks like a Deed API key (`dk_` and base64url); says nothing of its validity. */
export function looksLikeApiKey(value: string): boolean {
  return /^dk_[A-Za-z0-9_-]{16,512}$/.test(value);
}

function parseName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > NAME_MAX_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInputError(`name: expected 1 to ${NAME_MAX_LENGTH} printable characters`, 'name');
  }
  return name;
}

/** Known, distinct scopes in canonical order; each one the account's role allows. */
function parseScopes(value: unknown, account: AccountRecord): Scope[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidInputError(`scopes: expected a list of one or more of ${SCOPES.join(', ')}`, 'scopes');
  }
  for (const scope of value) {
    if (!isScope(scope)) {
      throw new InvalidInputError(`scopes: unknown scope ${JSON.stringify(scope)}; expected some of ${SCOPES.join(', ')}`, 'scopes');
    }
    if (!roleAllowsScope(account.role, scope)) {
      throw new ForbiddenError(
        `an API key cannot exceed its account's role: the ${account.role} role does not allow the ${scope} scope`
        + ` (it allows ${ROLE_SCOPES[account.role].join(', ')})`,
      );
    }
  }
  return SCOPES.filter((scope) => value.includes(scope));
}

function parseExpiry(value: unknown, now: Date): Date | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value
    : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new InvalidInputError('expiresAt: expected an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z', 'expiresAt');
  }
  if (date.getTime() <= now.getTime()) throw new InvalidInputError('expiresAt: must be in the future', 'expiresAt');
  return date;
}

/** The account whose keys are meant: the actor's own, or (admins only) the one named. */
async function targetAccount(deps: ApiKeyAdminDeps, actor: AccountRecord, username: unknown): Promise<AccountRecord> {
  if (username === undefined) return actor;
  const name = parseUsername(username);
  if (name === actor.username) return actor;
  if (actor.role !== 'admin') throw new ForbiddenError(`only an admin may manage another account's API keys; ${actor.username} is ${actor.role}`);
  const account = await deps.accounts.getByUsername(name);
  if (account === null) throw new NotFoundError(`no account named ${name}`);
  return account;
}

/**
 * Creates an API key for `account` with the given name, scopes (each allowed by the account's
 * role) and optional expiry. Returns the key itself this once: only its SHA-256 is stored.
 */
export async function createApiKey(
  deps: ApiKeyAdminDeps, account: AccountRecord, input: CreateApiKeyInput,
): Promise<ApiKeyView & { key: string }> {
  const now = (deps.now ?? (() => new Date()))();
  const name = parseName(input.name);
  const scopes = parseScopes(input.scopes, account);
  const expiresAt = parseExpiry(input.expiresAt, now);
  const key = generateToken(API_KEY_PREFIX, API_KEY_BYTES);
  const created = await deps.apiKeys.create({
    id: randomBytes(8).toString('hex'),
    accountId: account.id,
    name,
    keyHash: hashToken(key),
    scopes,
    expiresAt,
  });
  return { ...toApiKeyView(created, now), key };
}

/**
 * The API keys of the actor, or of the account named by `options.username` (admins only),
 * revoked and expired ones included, oldest first.
 */
export async function listApiKeys(
  deps: ApiKeyAdminDeps, actor: AccountRecord, options: { username?: unknown } = {},
): Promise<ApiKeyView[]> {
  const account = await targetAccount(deps, actor, options.username);
  const now = (deps.now ?? (() => new Date()))();
  return (await deps.apiKeys.listForAccount(account.id)).map((key) => toApiKeyView(key, now));
}

/**
 * Revokes one of the actor's API keys, or (admins only) one of the account named by
 * `options.username`. Takes effect at once; revoking a revoked key changes nothing. A key of
 * another account is "not found".
 */
export async function revokeApiKey(
  deps: ApiKeyAdminDeps, actor: AccountRecord, id: string, options: { username?: unknown } = {},
): Promise<ApiKeyView> {
  const account = await targetAccount(deps, actor, options.username);
  const key = await deps.apiKeys.get(id);
  if (key === null || key.accountId !== account.id) throw new NotFoundError(`${account.username} has no API key with id ${id}`);
  const now = (deps.now ?? (() => new Date()))();
  if (key.revokedAt !== null) return toApiKeyView(key, now);
  await deps.apiKeys.revoke(key.id, now);
  return toApiKeyView((await deps.apiKeys.get(key.id)) ?? { ...key, revokedAt: now }, now);
}
