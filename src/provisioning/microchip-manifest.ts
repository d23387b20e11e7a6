import { accepted, rejected, type ImportItem } from './import-entry.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { verifyFlattenedJws } from './flattened-jws.js';
import type { ImportSource } from './import-source.js';
import { DEFAULT_MAX_ELEMENT_BYTES, splitJsonArray } from './json-array-splitter.js';
import { checkDeviceCertificate } from './microchip-device-certificate.js';
import type { TrustedSigners } from './trusted-signers.js';
import { isRecord } from '../shared/validate.js';

/** JoinEUI pre-provisioned in every ATECC608A/B-TNGLORA secure element. */
export const TNGLORA_JOIN_EUI = '70B3D57ED0000000';

const UNIQUE_ID = /^[0-9A-Fa-f]{18}$/;
const MAX_TEXT = 128;


function shortText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT && !/[\u0000-\u001f\u007f]/.test(value);
}

/**
 * Verifies one element of a Microchip ATECC608 TNGLORA manifest (a flattened JWS) and turns it
 * into an {@link ImportEntry}:
 *
 * 1. the JWS is signed ES256 by a trusted signer (`kid`; `x5t#S256` when present) - see
 *    {@link verifyFlattenedJws};
 * 2. the signed payload gives `uniqueId` (18 hex digits; the unprotected `header.uniqueId` is
 *    never used, and an entry where it contradicts the payload is rejected), `model`,
 *    `partNumber` and `publicKeySet.keys[0]`, an EC P-256 JWK with `x5c`;
 * 3. the device certificate chain, JWK and DevEUI are checked - see {@link checkDeviceCertificate};
 * 4. the JoinEUI is the TNGLORA one, {@link TNGLORA_JOIN_EUI}.
 *
 * Never throws for a bad entry: returns `{ ok: false, code, reason }`, with `devEui` once the
 * signature has verified and the DevEUI was read.
 *
 * @param raw the parsed JSON element
 * @param index its 0-based position in the file
 */
export function verifyManifestEntry(raw: unknown, index: number, signers: TrustedSigners): ImportItem {
  const jws = verifyFlattenedJws(raw, signers);
  if (!jws.ok) return rejected(index, jws.code, jws.reason);

  let payload: unknown;
  try {
    payload = JSON.parse(jws.payload.toString('utf8'));
  } catch {
    payload = undefined;
  }
  if (!isRecord(payload)) return rejected(index, 'invalid_payload', 'signed payload is not a JSON object');
  const { uniqueId, model, partNumber, publicKeySet } = payload;
  if (typeof uniqueId !== 'string' || !UNIQUE_ID.test(uniqueId)) {
    return rejected(index, 'invalid_payload', 'payload uniqueId must be 18 hex digits');
  }
  const serial = uniqueId.toLowerCase();
  if (!shortText(model)) return rejected(index, 'invalid_payload', 'payload model must be a non-empty string');
  if (!shortText(partNumber)) return rejected(index, 'invalid_payload', 'payload partNumber must be a non-empty string');
  const headerUniqueId = jws.header['uniqueId'];
  if (headerUniqueId !== undefined && (typeof headerUniqueId !== 'string' || headerUniqueId.toLowerCase() !== serial)) {
    return rejected(index, 'certificate_mismatch', `unprotected header.uniqueId contradicts the signed payload uniqueId ${serial}`);
  }
  const keys = isRecord(publicKeySet) ? publicKeySet['keys'] : undefined;
  const jwk: unknown = Array.isArray(keys) ? keys[0] : undefined;
  if (!isRecord(jwk)) return rejected(index, 'invalid_payload', 'payload publicKeySet.keys[0] is missing');
  const { kty, crv, x, y, x5c } = jwk;
  if (kty !== 'EC' || crv !== 'P-256') {
    return rejected(index, 'invalid_payload', 'payload publicKeySet.keys[0] must be an EC P-256 key');
  }
  if (typeof x !== 'string' || typeof y !== 'string') {
    return rejected(index, 'invalid_payload', 'payload publicKeySet.keys[0] must have string x and y');
  }
  if (!Array.isArray(x5c) || x5c.length < 2 || !x5c.every((c) => typeof c === 'string')) {
    return rejected(
      index,
      'invalid_payload',
      'payload publicKeySet.keys[0].x5c must list the device certificate and its signer CA (base64 strings)',
    );
  }

  const certificate = checkDeviceCertificate(x5c, { x, y }, serial);
  if (!certificate.ok) return rejected(index, certificate.code, certificate.reason, certificate.devEui);
  return accepted({
    index,
    devEui: certificate.devEui,
    joinEui: TNGLORA_JOIN_EUI,
    secureElement: {
      uniqueId: serial,
      model,
      partNumber,
      signerKid: jws.signer.kid,
      generation: certificate.generation,
    },
  });
}

/** Options of {@link readMicrochipManifest}. */
export interface ReadManifestOptions {
  /** Largest entry kept, in bytes; bigger ones are rejected (`entry_too_large`). Default 1 MiB. */
  readonly maxEntryBytes?: number;
}

/**
 * Streams a Microchip manifest (a JSON array of flattened JWS) and yields one {@link ImportItem}
 * per element, in file order, holding one element in memory at a time. Bad entries (invalid JSON,
 * bad signature, unknown signer, too large, a DevEUI or uniqueId already seen in this file, ...)
 * are yielded as `{ ok: false, index, code, reason }`.
 *
 * @throws ImportFileError `malformed_file` (with the byte offset) when the file is not a JSON
 *   array or is truncated / has garbage between or after elements. It is thrown *after* every
 *   entry that was complete before the problem has been yielded: the caller decides whether to
 *   keep those or to fail the whole import.
 */
export async function* readMicrochipManifest(
  source: ImportSource,
  signers: TrustedSigners,
  options: ReadManifestOptions = {},
): AsyncGenerator<ImportItem> {
  const duplicates = new DuplicateFilter('entry');
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  for await (const element of splitJsonArray(source, { maxElementBytes: maxBytes })) {
    if (element.kind === 'too_large') {
      yield rejected(
        element.index,
        'entry_too_large',
        `entry at byte ${element.offset} is ${element.size} bytes, over the ${maxBytes}-byte limit; skipped`,
      );
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(element.text);
    } catch {
      yield rejected(element.index, 'malformed_entry', `entry at byte ${element.offset} is not valid JSON`);
      continue;
    }
    yield duplicates.check(verifyManifestEntry(raw, element.index, signers));
  }
}
