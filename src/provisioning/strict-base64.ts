/**
 * Strict base64 decoding. Node's `Buffer.from(s, 'base64')` silently skips characters outside the
 * alphabet, so a damaged value would decode to *something*; these return `undefined` instead.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes unpadded base64url (RFC 7515 §2), or returns `undefined` if `value` is not exactly that. */
export function decodeBase64Url(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length % 4 === 1 || !BASE64URL.test(value)) return undefined;
  return Buffer.from(value, 'base64url');
}

/** Decodes padded standard base64 (as in JWK `x5c`), or returns `undefined` if `value` is not exactly that. */
export function decodeBase64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}
