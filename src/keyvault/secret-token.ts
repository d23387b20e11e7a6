import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { KeyVaultError } from './errors.js';

const PREFIX = /^[a-z][a-z0-9]{0,7}$/;
const MIN_TOKEN_BYTES = 16;
const MAX_TOKEN_BYTES = 256;
/** Crockford's base32, lower-case: digits and letters without i, l, o, u; 5 bits each, no bias. */
const PASSWORD_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const PASSWORD_LENGTH = 24;

/**
 * A random bearer token: `<prefix>_<base64url of `bytes` random bytes>`, e.g.
 * `generateToken('bi', 24)` → `bi_…` (32 characters after the prefix). The prefix (1–8 lower-case
 * letters or digits, starting with a letter) tells what a leaked token is for. Store only
 * {@link hashToken} of it.
 */
export function generateToken(prefix: string, bytes = 32): string {
  if (!PREFIX.test(prefix)) {
    throw new KeyVaultError('invalid_argument', 'token prefix must be 1-8 lower-case letters or digits, starting with a letter');
  }
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES || bytes > MAX_TOKEN_BYTES) {
    throw new KeyVaultError('invalid_argument', `token size must be an integer from ${MIN_TOKEN_BYTES} to ${MAX_TOKEN_BYTES} bytes`);
  }
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/**
 * SHA-256 (lower-case hex) of a token, the whole string including its prefix. Tokens carry at
 * least 128 random bits, so a fast hash is enough: there is nothing to brute-force.
 */
export function hashToken(token: string): string {
  return oneShotHash !== undefined ? oneShotHash('sha256', token, 'hex') : createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * node:crypto's one-shot `hash` (Node.js 20.12 and later; Deed supports 20.11): no Hash object,
 * so nothing for the garbage collector's weak-handle pass on every authenticated request.
 * Strings are hashed as UTF-8, as with `update(token, 'utf8')`.
 */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * A readable random password: 24 characters of Crockford's base32 (digits and lower-case letters
 * without i, l, o, u), 120 bits, e.g. for the first admin account.
 */
export function generatePassword(): string {
  const random = randomBytes(PASSWORD_LENGTH);
  let password = '';
  for (const byte of random) password += PASSWORD_ALPHABET.charAt(byte & 31);
  random.fill(0);
  return password;
}
