import { DeedError } from '../shared/deed-error.js';

/**
 * Stable codes of a rejected import entry ({@link ImportItem} with `ok: false`). Part of the
 * public contract: the import job stores them per row, the REST API and the CLI show them.
 *
 * - `malformed_entry`: the entry is not valid JSON, not an object, or lacks the JWS members
 *   (`protected`, `payload`, `signature`) / has them with the wrong types; or a CSV row has more
 *   non-empty cells than the header has columns.
 * - `entry_too_large`: the entry is bigger than the reader's limit (1 MiB by default); skipped.
 * - `unsupported_algorithm`: the JWS protected header is not `typ` JWT / `alg` ES256.
 * - `unknown_signer`: the JWS `kid` names no trusted signer certificate (the reason names the kid).
 * - `signer_mismatch`: the JWS `x5t#S256` is not the SHA-256 of the trusted signer certificate.
 * - `invalid_signature`: the ES256 signature does not verify.
 * - `invalid_payload`: the signed payload is not JSON or lacks a field the import needs
 *   (`uniqueId`, `model`, `partNumber`, `publicKeySet.keys[0]` with `x`, `y`, `x5c`).
 * - `invalid_certificate`: an `x5c` certificate is not standard base64 of a DER X.509 certificate.
 * - `certificate_chain_mismatch`: `x5c[0]` (device) is not issued and signed by `x5c[1]`.
 * - `public_key_mismatch`: the JWK `x`/`y` is not the device certificate's public key.
 * - `certificate_mismatch`: the device certificate names another secure element than `uniqueId`,
 *   or the unprotected `header.uniqueId` contradicts the signed one.
 * - `dev_eui_not_found`: no DevEUI in the device certificate in either the B-generation
 *   (`CN=<serial> <DevEUI> ATECC`) or the C-generation (`CN=sn<serial>` + SAN
 *   `serialNumber=eui64_<DevEUI>`) form, or the DevEUI is zero.
 * - `missing_field`: a required device field (`dev_eui`, `join_eui`) is absent or empty.
 * - `invalid_field`: a device field has the wrong type or format (EUI, key, MAC version, ...).
 * - `duplicate`: the DevEUI or secure element (`uniqueId`) already appeared earlier in the file.
 */
export type ImportErrorCode =
  | 'malformed_entry'
  | 'entry_too_large'
  | 'unsupported_algorithm'
  | 'unknown_signer'
  | 'signer_mismatch'
  | 'invalid_signature'
  | 'invalid_payload'
  | 'invalid_certificate'
  | 'certificate_chain_mismatch'
  | 'public_key_mismatch'
  | 'certificate_mismatch'
  | 'dev_eui_not_found'
  | 'missing_field'
  | 'invalid_field'
  | 'duplicate';

/**
 * Stable codes of {@link ImportFileError}: the file as a whole cannot be read further.
 *
 * - `malformed_file`: not a JSON array, truncated JSON (unterminated array or string), data after
 *   the array, broken CSV quoting, a CSV record over the size limit, an empty file.
 * - `missing_column`: the CSV header has no `dev_eui` column.
 */
export type ImportFileErrorCode = 'malformed_file' | 'missing_column';

/**
 * The import file cannot be read (further). Readers throw it from their async iterator, *after*
 * yielding every entry that was complete before the problem: the caller decides whether to keep
 * those (e.g. a resumable import job records them and marks the file failed) or to discard all.
 *
 * `details` holds `offset` (0-based byte offset, JSON) or `line` (1-based line number, CSV) when
 * known. Messages never contain file content.
 */
export class ImportFileError extends DeedError {
  declare readonly code: ImportFileErrorCode;

  constructor(code: ImportFileErrorCode, message: string, details?: Readonly<{ offset?: number; line?: number }>) {
    super(code, message, details);
    this.name = 'ImportFileError';
  }
}

/**
 * A configured signer certificate cannot be used (not a PEM X.509 certificate, not an EC P-256
 * key, or no Subject Key Identifier to derive the JWS `kid` from). Thrown at start-up, so bad
 * configuration fails early. Code: `invalid_signer_certificate`.
 */
export class SignerCertificateError extends DeedError {
  declare readonly code: 'invalid_signer_certificate';

  constructor(message: string, details?: Readonly<Record<string, unknown>>) {
    super('invalid_signer_certificate', message, details);
    this.name = 'SignerCertificateError';
  }
}
