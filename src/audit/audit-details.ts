import { InvalidInputError } from '../shared/errors.js';
import type { AuditDetails } from './audit-event.js';

/** At most this many detail keys per event. */
export const AUDIT_DETAILS_MAX_KEYS = 16;
/** At most this many characters per string detail. */
export const AUDIT_DETAIL_MAX_LENGTH = 256;

const KEY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/**
 * Detail keys that name secrets. Lower-cased, a key is refused when it contains `password`,
 * `passwd`, `secret`, `token`, `kek`, `credential` or `private`, or ends with `key` (appKey,
 * nwkKey, apiKey, key). Key ids and labels (`apiKeyId`, `kekLabel`…) are refused too when they
 * match; name them otherwise (`keyId` is allowed).
 */
const SECRET_NAME = /password|passwd|secret|token|kek|credential|private|key$/;

/**
 * Checks that `details` is a small flat object whose keys do not name secrets, and returns a
 * copy. Values are strings (at most 256 characters), safe integers, booleans or null. Throws
 * InvalidInputError otherwise: a use case that tries to record a secret fails loudly in tests.
 */
export function checkAuditDetails(details: unknown): AuditDetails {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    throw new InvalidInputError('audit details: expected an object', 'details');
  }
  const entries = Object.entries(details);
  if (entries.length > AUDIT_DETAILS_MAX_KEYS) {
    throw new InvalidInputError(`audit details: at most ${AUDIT_DETAILS_MAX_KEYS} keys`, 'details');
  }
  const copy: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of entries) {
    if (!KEY_NAME.test(key)) throw new InvalidInputError(`audit details: "${key}" is not a plain name`, 'details');
    if (SECRET_NAME.test(key.toLowerCase())) {
      throw new InvalidInputError(`audit details: "${key}" looks like a secret; secrets are never recorded`, 'details');
    }
    if (typeof value === 'string') {
      if (value.length > AUDIT_DETAIL_MAX_LENGTH) {
        throw new InvalidInputError(`audit details: "${key}" is longer than ${AUDIT_DETAIL_MAX_LENGTH} characters`, 'details');
      }
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new InvalidInputError(`audit details: "${key}" must be a safe integer`, 'details');
    } else if (typeof value !== 'boolean' && value !== null) {
      throw new InvalidInputError(`audit details: "${key}" must be a string, an integer, a boolean or null`, 'details');
    }
    copy[key] = value as string | number | boolean | null;
  }
  return copy;
}
