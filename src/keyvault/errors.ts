import { DeedError } from '../shared/deed-error.js';

/**
 * Stable codes of {@link KeyVaultError}.
 *
 * - `invalid_master_key`: DEED_MASTER_KEY / DEED_MASTER_KEY_PREVIOUS (or the config setting) is
 *   not 64 hex characters or base64 of 32 bytes.
 * - `master_key_file_missing`: the key-ring file does not exist where it has to (rotation).
 * - `master_key_file_invalid`: the key-ring file is not valid JSON or not in the expected shape.
 * - `master_key_file_insecure`: the key-ring file can be read or written by group or others.
 * - `unknown_master_key`: a sealed value names a master key the ring does not hold.
 * - `sealed_value_corrupt`: a sealed value is malformed, or fails authentication (tampered,
 *   truncated, or opened with the wrong context).
 * - `rotation_incomplete`: re-sealing kept finding values under an old key; nothing was retired.
 * - `invalid_password_hash`: a stored password hash is not in the `scrypt$N$r$p$salt$hash` form
 *   or has out-of-range parameters.
 * - `invalid_kek`: a key encryption key is not 32, 48 or 64 hex characters.
 * - `invalid_argument`: a programming error in a call (e.g. a bad token prefix).
 */
export type KeyVaultErrorCode =
  | 'invalid_master_key'
  | 'master_key_file_missing'
  | 'master_key_file_invalid'
  | 'master_key_file_insecure'
  | 'unknown_master_key'
  | 'sealed_value_corrupt'
  | 'rotation_incomplete'
  | 'invalid_password_hash'
  | 'invalid_kek'
  | 'invalid_argument';

/**
 * Error of the key vault. Messages and details never contain key material, sealed values,
 * passwords or tokens; they may contain key ids, seal contexts and file paths.
 */
export class KeyVaultError extends DeedError {
  declare readonly code: KeyVaultErrorCode;

  constructor(code: KeyVaultErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, details);
    this.name = 'KeyVaultError';
  }
}
