/**
 * Base of every typed error in Deed. `code` is stable snake_case, part of the public contract;
 * `message` is for humans and must never contain key material, tokens or passwords.
 * Each transport maps codes in exactly one place (HTTP problem JSON, BI ResultCode, CLI exit).
 */
export class DeedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Safe, non-secret details for the caller (e.g. which field was wrong). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DeedError';
  }
}

/** A unique key (DevEUI, username, peer id, token) is already taken. */
export class AlreadyExistsError extends DeedError {
  constructor(what: string, details?: Readonly<Record<string, unknown>>) {
    super('already_exists', `${what} already exists`, details);
    this.name = 'AlreadyExistsError';
  }
}
