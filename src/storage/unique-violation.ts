import { AlreadyExistsError } from '../shared/deed-error.js';

/**
 * True for a unique or primary-key violation: SQLite's `SQLITE_CONSTRAINT_PRIMARYKEY` /
 * `SQLITE_CONSTRAINT_UNIQUE` (better-sqlite3) or PostgreSQL's SQLSTATE 23505 (pg).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** Constraint names of the schema (PostgreSQL reports these) and the column each guards. */
const constraintColumns: Readonly<Record<string, string>> = {
  devices_pkey: 'dev_eui',
  session_keys_pkey: 'session_key_id',
  peers_pkey: 'id',
  peers_token_hash_key: 'token_hash',
  peers_cert_fingerprint_key: 'cert_fingerprint',
  accounts_pkey: 'id',
  accounts_username_key: 'username',
  applications_pkey: 'id',
  devices_se_unique_id_key: 'se_unique_id',
  api_keys_pkey: 'id',
  api_keys_key_hash_key: 'key_hash',
};

/**
 * The (camelCase) field of a unique violation, when the driver says: PostgreSQL names the
 * constraint, SQLite the columns (`UNIQUE constraint failed: peers.token_hash`).
 */
export function violatedField(error: unknown): string | undefined {
  const { constraint, message } = error as { constraint?: unknown; message?: unknown };
  let column: string | undefined;
  if (typeof constraint === 'string') {
    column = constraintColumns[constraint];
  } else if (typeof message === 'string') {
    column = /constraint failed: (?:.*, )?[a-z_]+\.([a-z_]+)$/.exec(message)?.[1];
  }
  return column?.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Runs `write`; turns a unique violation into AlreadyExistsError(`what`), with the column in
 * `details.field` when the driver names it. Other errors pass through.
 */
export async function translateUniqueViolation<T>(
  what: string,
  details: Readonly<Record<string, unknown>>,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) {
      const field = violatedField(error);
      throw new AlreadyExistsError(what, field === undefined ? details : { ...details, field });
    }
    throw error;
  }
}
