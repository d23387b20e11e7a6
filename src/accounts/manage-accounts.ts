import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../audit/audit-event.js';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from '../shared/errors.js';
import { type AccountRecord, type AccountStore, ROLES, isRole } from './account.js';
import { toAccountView, type AccountView } from './account-view.js';
import type { PasswordVerifier } from './authenticate.js';

/** What account management needs. */
export interface AccountAdminDeps {
  readonly accounts: AccountStore;
  /** scrypt in production (keyvault/password-hash.ts). */
  readonly passwords: PasswordVerifier;
  /** Records `account.created`, `account.disabled` and `account.enabled`. */
  readonly audit: AuditRecorder;
  /** Told when an account is disabled or its password changes, so its cached logins end now. */
  readonly credentialCache?: { forget(accountId: string): void };
  /** Id of a new account; a random UUID by default. */
  readonly newId?: () => string;
}

/** An account to create, as a transport received it (validated here). */
export interface AddAccountInput {
  readonly username?: unknown;
  readonly password?: unknown;
  readonly role?: unknown;
}

/** A password change, as a transport received it. */
export interface ChangePasswordInput {
  readonly currentPassword?: unknown;
  readonly newPassword?: unknown;
}

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the work one login does: scrypt reads the whole password. */
export const PASSWORD_MAX_LENGTH = 1024;
const USERNAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * A username: 3 to 64 characters, lower-case letters, digits, `.`, `_` and `-`, starting with a
 * letter or digit. Upper-case input is lower-cased first, so `Alice` and `alice` are one account.
 */
export function parseUsername(value: unknown, field = 'username'): string {
  const username = typeof value === 'string' ? value.toLowerCase() : '';
  if (username.length < USERNAME_MIN_LENGTH || username.length > USERNAME_MAX_LENGTH || !USERNAME.test(username)) {
    throw new InvalidInputError(
      `${field}: expected ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters: letters, digits, ".", "_" or "-", starting with a letter or digit`,
      field,
    );
  }
  return username;
}

/** A new password: at least 12 characters (after NFKC normalization, as it is hashed), at most 1024. */
export function parsePassword(value: unknown, field = 'password'): string {
  if (typeof value !== 'string') throw new InvalidInputError(`${field}: expected a string`, field);
  const length = [...value.normalize('NFKC')].length;
  if (length < PASSWORD_MIN_LENGTH) throw new InvalidInputError(`${field}: expected at least ${PASSWORD_MIN_LENGTH} characters`, field);
  if (length > PASSWORD_MAX_LENGTH) throw new InvalidInputError(`${field}: expected at most ${PASSWORD_MAX_LENGTH} characters`, field);
  return value;
}

/** Account administration is for admins, whatever transport asks. */
function requireAdmin(actor: AccountRecord): void {
  if (actor.role !== 'admin') throw new ForbiddenError(`this needs the admin role; ${actor.username} is ${actor.role}`);
}

async function existing(deps: AccountAdminDeps, username: unknown): Promise<AccountRecord> {
  const name = parseUsername(username);
  const account = await deps.accounts.getByUsername(name);
  if (account === null) throw new NotFoundError(`no account named ${name}`);
  return account;
}

/**
 * Creates an account (admin only) and records `account.created`. The password is hashed with
 * scrypt; it is never stored, recorded or returned.
 */
export async function addAccount(deps: AccountAdminDeps, actor: AccountRecord, input: AddAccountInput): Promise<AccountView> {
  requireAdmin(actor);
  const username = parseUsername(input.username);
  if (!isRole(input.role)) throw new InvalidInputError(`role: expected one of ${ROLES.join(', ')}`, 'role');
  const password = parsePassword(input.password);
  const created = await deps.accounts.create({
    id: (deps.newId ?? randomUUID)(),
    username,
    passwordHash: await deps.passwords.hash(password),
    role: input.role,
  });
  await deps.audit.append({
    actor: actor.username, action: 'account.created', devEui: null, outcome: 'success',
    details: { username: created.username, role: created.role },
  });
  return toAccountView(created);
}

/** Every account, by username (admin only). */
export async function listAccounts(deps: Pick<AccountAdminDeps, 'accounts'>, actor: AccountRecord): Promise<AccountView[]> {
  requireAdmin(actor);
  return (await deps.accounts.list()).map(toAccountView);
}

/**
 * Disables an account (admin only; not one's own) and records `account.disabled`. Its API keys stop at once; a password login
 * cached by another server instance works until that cache entry expires (30 s by default).
 */
export async function disableAccount(deps: AccountAdminDeps, actor: AccountRecord, username: unknown): Promise<AccountView> {
  requireAdmin(actor);
  const account = await existing(deps, username);
  if (account.id === actor.id) throw new ForbiddenError('an admin cannot disable its own account');
  if (!(await deps.accounts.setDisabled(account.username, true))) throw new NotFoundError(`no account named ${account.username}`);
  deps.credentialCache?.forget(account.id);
  await deps.audit.append({ actor: actor.username, action: 'account.disabled', devEui: null, outcome: 'success', details: { username: account.username } });
  return toAccountView({ ...account, disabled: true });
}

/** Enables a disabled account again (admin only) and records `account.enabled`. */
export async function enableAccount(deps: AccountAdminDeps, actor: AccountRecord, username: unknown): Promise<AccountView> {
  requireAdmin(actor);
  const account = await existing(deps, username);
  if (!(await deps.accounts.setDisabled(account.username, false))) throw new NotFoundError(`no account named ${account.username}`);
  await deps.audit.append({ actor: actor.username, action: 'account.enabled', devEui: null, outcome: 'success', details: { username: account.username } });
  return toAccountView({ ...account, disabled: false });
}

/**
 * Changes the actor's own password; needs the current one, even when the request carried it.
 * Cached logins with the old password end at once on this instance.
 */
export async function changePassword(deps: AccountAdminDeps, actor: AccountRecord, input: ChangePasswordInput): Promise<void> {
  const account = await deps.accounts.getById(actor.id);
  if (account === null || account.disabled) throw new UnauthorizedError('this account no longer exists or is disabled');
  if (typeof input.currentPassword !== 'string' || !(await deps.passwords.verify(input.currentPassword, account.passwordHash))) {
    throw new ForbiddenError('currentPassword: the current password is wrong');
  }
  const password = parsePassword(input.newPassword, 'newPassword');
  if (password === input.currentPassword) throw new InvalidInputError('newPassword: must differ from the current password', 'newPassword');
  if (!(await deps.accounts.setPasswordHash(account.id, await deps.passwords.hash(password)))) {
    throw new UnauthorizedError('this account no longer exists');
  }
  deps.credentialCache?.forget(account.id);
}
