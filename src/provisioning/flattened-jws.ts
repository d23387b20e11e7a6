import { verify } from 'node:crypto';
import type { ImportErrorCode } from './errors.js';
import { decodeBase64Url } from './strict-base64.js';
import type { TrustedSigner, TrustedSigners } from './trusted-signers.js';
import { isRecord } from '../shared/validate.js';

/** Outcome of {@link verifyFlattenedJws}. */
export type JwsVerification =
  | { readonly ok: true; readonly payload: Buffer; readonly signer: TrustedSigner; readonly header: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly code: ImportErrorCode; readonly reason: string };

/** A short, quoted, printable rendering of an untrusted header value for messages. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > 64 ? `${text.slice(0, 64)}...` : text;
  return JSON.stringify(cut);
}


function fail(code: ImportErrorCode, reason: string): JwsVerification {
  return { ok: false, code, reason };
}

/**
 * Verifies one JWS in flattened JSON serialization (RFC 7515 §7.2.2) signed ES256 by a trusted
 * signer: checks the members' types, decodes the protected header (`alg` ES256, `typ` JWT, no
 * `crit`, a known `kid`, and `x5t#S256` equal to that signer's certificate hash when present),
 * then verifies the raw R‖S signature over `protected + "." + payload`.
 *
 * Only the protected header is used; the unprotected `header` is returned for the caller to
 * cross-check, never trusted. The payload is returned decoded, not parsed.
 */
export function verifyFlattenedJws(raw: unknown, signers: TrustedSigners): JwsVerification {
  if (!isRecord(raw)) return fail('malformed_entry', 'entry is not a JSON object (expected a flattened JWS)');
  const { protected: protectedB64, payload: payloadB64, signature: signatureB64, header } = raw;
  if (typeof protectedB64 !== 'string' || typeof payloadB64 !== 'string' || typeof signatureB64 !== 'string') {
    const missing = ['protected', 'payload', 'signature'].filter((name) => typeof raw[name] !== 'string');
    return fail('malformed_entry', `JWS member ${missing.join(', ')} must be a base64url string`);
  }
  if (header !== undefined && !isRecord(header)) return fail('malformed_entry', 'JWS member header must be an object');

  const protectedBytes = decodeBase64Url(protectedB64);
  const payload = decodeBase64Url(payloadB64);
  const signature = decodeBase64Url(signatureB64);
  if (protectedBytes === undefined) return fail('malformed_entry', 'JWS protected header is not base64url');
  if (payload === undefined) return fail('malformed_entry', 'JWS payload is not base64url');
  if (signature === undefined) return fail('malformed_entry', 'JWS signature is not base64url');

  let parsed: unknown;
  try {
    parsed = JSON.parse(protectedBytes.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) return fail('malformed_entry', 'JWS protected header is not a JSON object');
  const { alg, typ, kid, crit } = parsed;
  const x5t = parsed['x5t#S256'];
  if (alg !== 'ES256') return fail('unsupported_algorithm', `JWS alg must be ES256, got ${quote(alg)}`);
  if (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT') {
    return fail('unsupported_algorithm', `JWS typ must be JWT, got ${quote(typ)}`);
  }
  if (crit !== undefined) return fail('unsupported_algorithm', 'JWS protected header has crit parameters, which this reader does not support');
  if (typeof kid !== 'string' || kid.length === 0) return fail('malformed_entry', 'JWS protected header has no kid');
  const signer = signers.get(kid);
  if (signer === undefined) return fail('unknown_signer', `signed by an unknown signer: kid ${quote(kid)} is not trusted`);
  if (x5t !== undefined && x5t !== signer.x5tS256) {
    return fail('signer_mismatch', `JWS x5t#S256 does not match the trusted certificate of kid ${quote(kid)}`);
  }
  if (signature.length !== 64) {
    return fail('invalid_signature', `ES256 signature must be 64 bytes (R and S), got ${signature.length}`);
  }
  let valid = false;
  try {
    valid = verify(
      'sha256',
      Buffer.from(`${protectedB64}.${payloadB64}`, 'latin1'),
      { key: signer.publicKey, dsaEncoding: 'ieee-p1363' },
      signature,
    );
  } catch {
    valid = false;
  }
  if (!valid) return fail('invalid_signature', `signature does not verify with the certificate of kid ${quote(kid)}`);
  return { ok: true, payload, signer, header: header ?? {} };
}
