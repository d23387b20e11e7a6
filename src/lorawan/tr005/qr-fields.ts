import { Eui64 } from '../eui64.js';
import { LorawanError } from '../errors.js';
import type { DeviceQr, DeviceQrFormat } from './device-qr.js';

/** The optional string fields of a {@link DeviceQr}, in the order TR005 writes their tags. */
export type ExtensionField = 'checksum' | 'ownerToken' | 'serialNumber' | 'proprietary';

/** Extension values found in a code, by field. */
export type Extensions = Partial<Record<ExtensionField, string>>;

/** Extension tag letter -> field, for one text format. Tags are case-sensitive. */
export type ExtensionTags = Readonly<Record<string, ExtensionField>>;

/** TR005 final: `C` checksum, `O` owner token, `S` serial number, `P` proprietary (write order). */
export const TR005_TAGS: ExtensionTags = Object.freeze({
  C: 'checksum',
  O: 'ownerToken',
  S: 'serialNumber',
  P: 'proprietary',
});

/** Drafts 2 and 3: `V` validation code (= owner token), `S` serial number, `P` proprietary. */
export const DRAFT_TAGS: ExtensionTags = Object.freeze({
  V: 'ownerToken',
  S: 'serialNumber',
  P: 'proprietary',
});

/** An `invalid_qr` error. Callers must never put field values (an owner token is a secret) in `message`. */
export function invalidQr(message: string): LorawanError {
  return new LorawanError('invalid_qr', message);
}

const HEX = /^[0-9A-Fa-f]*$/;

/**
 * Checks that a field is exactly `bytes` bytes of hex (no `0x`, either case) and returns it in
 * upper case.
 * @throws LorawanError `invalid_qr`, naming `what` and the digit count, never the content
 */
export function hexField(field: string | undefined, bytes: number, what: string): string {
  const value = field ?? '';
  if (!HEX.test(value)) {
    throw invalidQr(`${what} must contain only hex digits`);
  }
  if (value.length !== bytes * 2) {
    throw invalidQr(`${what} must be ${bytes} bytes (${bytes * 2} hex digits), got ${value.length} hex digits`);
  }
  return value.toUpperCase();
}

/** Parses an EUI-64 field (16 hex digits). @throws LorawanError `invalid_qr` */
export function euiField(field: string | undefined, what: 'JoinEUI' | 'DevEUI'): Eui64 {
  return Eui64.fromHex(hexField(field, Eui64.BYTES, what), what);
}

/** Splits the 4-byte ProfileID field into VendorID and the vendor's profile id. @throws LorawanError `invalid_qr` */
export function profileIdField(field: string | undefined): { vendorId: string; profileId: string } {
  const hex = hexField(field, 4, 'ProfileID');
  return { vendorId: hex.slice(0, 4), profileId: hex.slice(4) };
}

/**
 * Reads `<tag><value>` extension entries. Empty entries and entries with only a tag are ignored,
 * as are unknown tags (tags are case-sensitive, so `o` is unknown). A known tag given twice with
 * a value is rejected: two owner tokens on one label are ambiguous.
 * @throws LorawanError `invalid_qr`
 */
export function readExtensions(entries: readonly string[], tags: ExtensionTags): Extensions {
  const out: Extensions = {};
  for (const entry of entries) {
    if (entry.length <= 1) continue;
    const tag = entry.charAt(0);
    const field = Object.hasOwn(tags, tag) ? tags[tag] : undefined;
    if (field === undefined) continue;
    if (out[field] !== undefined) {
      throw invalidQr(`the ${tag} extension appears more than once`);
    }
    out[field] = entry.slice(1);
  }
  return out;
}

/** Assembles a frozen {@link DeviceQr}; absent extensions are left out, not set to `undefined`. */
export function buildDeviceQr(
  format: DeviceQrFormat,
  joinEui: Eui64 | null,
  devEui: Eui64,
  profile: { vendorId: string; profileId: string } | null,
  extensions: Extensions,
): DeviceQr {
  const qr: { -readonly [K in keyof DeviceQr]: DeviceQr[K] } = {
    format,
    joinEui,
    devEui,
    vendorId: profile?.vendorId ?? null,
    profileId: profile?.profileId ?? null,
  };
  if (extensions.checksum !== undefined) qr.checksum = extensions.checksum;
  if (extensions.ownerToken !== undefined) qr.ownerToken = extensions.ownerToken;
  if (extensions.serialNumber !== undefined) qr.serialNumber = extensions.serialNumber;
  if (extensions.proprietary !== undefined) qr.proprietary = extensions.proprietary;
  return Object.freeze(qr);
}
