import { timingSafeEqual, createHash } from 'node:crypto';
import { InvalidInputError } from '../shared/errors.js';

/**
 * Owner tokens (TR005 "OwnerToken", The Things Stack's "claim authentication code"): the secret
 * printed on a device's label that proves its holder may claim it.
 */

/** Default length of a generated owner token: 8 upper-case hex characters, as in the claim guide. */
export const DEFAULT_OWNER_TOKEN_LENGTH = 8;
/** Shortest and longest generated token the configuration accepts. */
export const MIN_OWNER_TOKEN_LENGTH = 6;
export const MAX_OWNER_TOKEN_LENGTH = 32;
/** Longest token a maker may set (TR005 leaves it open; The Things Stack uses up to 32 bytes). */
export const MAX_SET_OWNER_TOKEN = 64;

/** Printable ASCII without space and `:` (TR005 extension values may not contain `:`). */
const TOKEN_CHARS = /^[\u0021-\u0039\u003b-\u007e]+$/;

/** A random owner token of `length` upper-case hex characters from `random`. */
export function generateOwnerToken(random: { bytes(n: number): Uint8Array }, length = DEFAULT_OWNER_TOKEN_LENGTH): string {
  const bytes = random.bytes(Math.ceil(length / 2));
  return Buffer.from(bytes).toString('hex').toUpperCase().slice(0, length);
}

/**
 * Validates a token a maker sets (or an import file carries): 1 to 64 printable ASCII
 * characters without spaces or `:`. The message never echoes the value.
 */
export function parseOwnerToken(value: unknown, field = 'ownerToken'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SET_OWNER_TOKEN || !TOKEN_CHARS.test(value)) {
    throw new InvalidInputError(
      `${field}: expected 1 to ${MAX_SET_OWNER_TOKEN} printable ASCII characters without spaces or ':'`, field,
    );
  }
  return value;
}

/**
 * Compares a presented token with the stored one in constant time (over SHA-256 digests, so
 * the comparison time does not depend on where they differ, nor on their lengths).
 */
export function ownerTokenMatches(presented: string, stored: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(stored, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** True when `at` lies inside the validity window (either end may be open). */
export function ownerTokenValidAt(window: { from: Date | null; to: Date | null }, at: Date): boolean {
  if (window.from !== null && at.getTime() < window.from.getTime()) return false;
  if (window.to !== null && at.getTime() > window.to.getTime()) return false;
  return true;
}
