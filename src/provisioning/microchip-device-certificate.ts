import { X509Certificate, verify, type KeyObject } from 'node:crypto';
import { DerError } from './der-reader.js';
import type { ImportErrorCode } from './errors.js';
import type { SecureElementGeneration } from './import-entry.js';
import { decodeBase64, decodeBase64Url } from './strict-base64.js';
import { OID_COMMON_NAME, OID_ECDSA_WITH_SHA256, OID_SERIAL_NUMBER, X509Fields } from './x509-fields.js';

/** The device public key as the manifest's JWK gives it (base64url P-256 coordinates). */
export interface DeviceJwk {
  readonly x: string;
  readonly y: string;
}

/** Outcome of {@link checkDeviceCertificate}. `devEui` is set on failures found after it was read. */
export type DeviceCertificateCheck =
  | { readonly ok: true; readonly devEui: string; readonly generation: SecureElementGeneration }
  | { readonly ok: false; readonly code: ImportErrorCode; readonly reason: string; readonly devEui?: string };

const B_COMMON_NAME = /^([0-9A-Fa-f]{18}) ([0-9A-Fa-f]{16}) ATECC$/;
const C_COMMON_NAME = /^sn([0-9A-Fa-f]{18})$/;
const C_EUI64 = /^eui64_([0-9A-Fa-f]{16})$/;
/** The all-zero EUI: never a real device. */
export const ZERO_EUI = '0000000000000000';

/** A parsed signer CA (`x5c[1]`). */
interface CaCertificate {
  readonly fields: X509Fields;
  readonly publicKey: KeyObject;
}

// The signer CA (x5c[1]) is the same for thousands of entries: parse it once (OpenSSL parses it,
// then the DER reader), keep its public key.
const CA_CACHE_LIMIT = 32;
const caCache = new Map<string, CaCertificate>();

function parseCa(base64: string): CaCertificate | undefined {
  const cached = caCache.get(base64);
  if (cached !== undefined) return cached;
  const der = decodeBase64(base64);
  if (der === undefined) return undefined;
  let ca: CaCertificate;
  try {
    ca = { fields: X509Fields.parse(der), publicKey: new X509Certificate(der).publicKey };
  } catch {
    return undefined;
  }
  if (caCache.size >= CA_CACHE_LIMIT) caCache.clear();
  caCache.set(base64, ca);
  return ca;
}

/**
 * Like OpenSSL's X509_check_issued + X509_verify: the device certificate names the CA as issuer
 * (same DER Name; same key identifier when both carry one) and its ecdsa-with-SHA256 signature
 * over the tbsCertificate verifies with the CA's key.
 */
function issuedBy(device: X509Fields, ca: CaCertificate): boolean {
  if (!Buffer.from(device.issuer()).equals(ca.fields.subject())) return false;
  const aki = device.authorityKeyIdentifier();
  const ski = ca.fields.subjectKeyIdentifier();
  if (aki !== undefined && ski !== undefined && !Buffer.from(aki).equals(ski)) return false;
  if (device.signatureAlgorithm() !== OID_ECDSA_WITH_SHA256) return false;
  try {
    return verify('sha256', device.tbsCertificate(), { key: ca.publicKey, dsaEncoding: 'der' }, device.signatureValue());
  } catch {
    return false;
  }
}

function fail(code: ImportErrorCode, reason: string, devEui?: string): DeviceCertificateCheck {
  return devEui === undefined ? { ok: false, code, reason } : { ok: false, code, reason, devEui };
}

/** Reads the DevEUI and generation from the device certificate's subject / SAN. */
function deriveDevEui(
  fields: X509Fields,
  uniqueId: string,
): { devEui: string; generation: SecureElementGeneration } | DeviceCertificateCheck {
  const names = fields.subjectAttributes(OID_COMMON_NAME);
  const cn = names.length === 1 ? (names[0] ?? '') : '';
  let serial: string;
  let devEui: string;
  let generation: SecureElementGeneration;
  const b = B_COMMON_NAME.exec(cn);
  const c = C_COMMON_NAME.exec(cn);
  if (b !== null) {
    serial = b[1] ?? '';
    devEui = b[2] ?? '';
    generation = 'B';
  } else if (c !== null) {
    serial = c[1] ?? '';
    const euis = fields.altNameDirectoryAttributes(OID_SERIAL_NUMBER).filter((value) => value.startsWith('eui64_'));
    const match = euis.length === 1 ? C_EUI64.exec(euis[0] ?? '') : null;
    if (match === null) {
      return fail(
        'dev_eui_not_found',
        euis.length > 1
          ? 'device certificate (C generation) has more than one eui64_ serialNumber in its subjectAltName'
          : 'device certificate (C generation) has no subjectAltName directoryName with serialNumber eui64_<16 hex digits>',
      );
    }
    devEui = match[1] ?? '';
    generation = 'C';
  } else {
    return fail(
      'dev_eui_not_found',
      names.length === 1
        ? `device certificate subject CN ${JSON.stringify(cn.slice(0, 80))} is neither "<serial> <DevEUI> ATECC" (B generation) nor "sn<serial>" (C generation)`
        : `device certificate subject has ${names.length} CNs, expected one`,
    );
  }
  devEui = devEui.toUpperCase();
  if (devEui === ZERO_EUI) return fail('dev_eui_not_found', 'the DevEUI in the device certificate is zero');
  if (serial.toLowerCase() !== uniqueId) {
    return fail(
      'certificate_mismatch',
      `device certificate is for secure element ${serial.toLowerCase()}, not for uniqueId ${uniqueId}`,
      devEui,
    );
  }
  return { devEui, generation };
}

/**
 * Checks the device certificate chain of a manifest entry and reads its DevEUI:
 *
 * 1. `x5c[0]` (device) and `x5c[1]` (its signer CA) are standard base64 DER X.509 certificates;
 * 2. the DevEUI comes from the device certificate: B generation `CN=<serial> <DevEUI> ATECC`,
 *    C generation `CN=sn<serial>` plus a SAN directoryName `serialNumber=eui64_<DevEUI>`; it must
 *    not be zero, and `<serial>` must be the signed `uniqueId`;
 * 3. `x5c[0]` is issued by `x5c[1]` (names match) and its signature verifies with `x5c[1]`'s key;
 * 4. the JWK `x`/`y` is the device certificate's public key.
 *
 * Validity dates are not checked (device certificates are issued once, for decades).
 */
export function checkDeviceCertificate(x5c: readonly unknown[], jwk: DeviceJwk, uniqueId: string): DeviceCertificateCheck {
  const deviceDer = decodeBase64(x5c[0]);
  if (deviceDer === undefined) return fail('invalid_certificate', 'publicKeySet.keys[0].x5c[0] is not standard base64');
  let device: X509Fields;
  try {
    device = X509Fields.parse(deviceDer);
  } catch {
    return fail('invalid_certificate', 'publicKeySet.keys[0].x5c[0] is not a DER X.509 certificate');
  }
  const ca = typeof x5c[1] === 'string' ? parseCa(x5c[1]) : undefined;
  if (ca === undefined) {
    return fail('invalid_certificate', 'publicKeySet.keys[0].x5c[1] is not a base64 DER X.509 certificate');
  }

  try {
    const derived = deriveDevEui(device, uniqueId);
    if ('ok' in derived) return derived;
    const { devEui, generation } = derived;
    if (!issuedBy(device, ca)) {
      return fail(
        'certificate_chain_mismatch',
        'device certificate (x5c[0]) is not issued and signed by the certificate that follows it (x5c[1])',
        devEui,
      );
    }
    const point = device.p256PublicPoint();
    if (point === undefined) return fail('invalid_certificate', 'device certificate key is not an EC P-256 key', devEui);
    const x = decodeBase64Url(jwk.x);
    const y = decodeBase64Url(jwk.y);
    if (x === undefined || y === undefined || !x.equals(point.subarray(1, 33)) || !y.equals(point.subarray(33, 65))) {
      return fail('public_key_mismatch', 'JWK x/y is not the public key of the device certificate (x5c[0])', devEui);
    }
    return { ok: true, devEui, generation };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    return fail('invalid_certificate', `device certificate: ${error.message}`);
  }
}
