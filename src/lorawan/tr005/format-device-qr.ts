import { Eui64 } from '../eui64.js';
import { MAX_DEVICE_QR_BYTES, type DeviceQr } from './device-qr.js';
import { TR005_TAGS, hexField, invalidQr, type ExtensionField } from './qr-fields.js';

const CANNOT = 'cannot write a TR005 QR code';

/**
 * Writes a device QR code as LoRa Alliance TR005 final text:
 * `LW:D0:<JoinEUI>:<DevEUI>:<VendorID><ProfileID>[:C…][:O…][:S…][:P…]`, hex in upper case,
 * extensions in the order C, O, S, P, absent extensions left out.
 *
 * Whatever `qr.format` says, the output is always final TR005 (drafts are only ever read). For a
 * code read as `tr005`, `parseDeviceQr(formatDeviceQr(qr))` deep-equals `qr`. The checksum is
 * written back as given; it is never computed or verified (see {@link DeviceQr.checksum}).
 *
 * @throws LorawanError `invalid_qr` if the JoinEUI, DevEUI, VendorID or profile id is missing
 *   (a `dev-eui-only` code cannot be written as TR005), the VendorID or profile id is not 4 hex
 *   digits, an extension value is empty or contains `:`, a space or a character outside printable
 *   ASCII, or the text would exceed {@link MAX_DEVICE_QR_BYTES} bytes. Messages never echo values.
 */
export function formatDeviceQr(qr: DeviceQr): string {
  if (typeof qr !== 'object' || qr === null) {
    throw invalidQr(`${CANNOT}: expected a DeviceQr object`);
  }
  if (!(qr.joinEui instanceof Eui64)) {
    throw invalidQr(`${CANNOT}: the JoinEUI is missing`);
  }
  if (!(qr.devEui instanceof Eui64)) {
    throw invalidQr(`${CANNOT}: the DevEUI is missing`);
  }
  if (qr.vendorId === null || qr.vendorId === undefined || qr.profileId === null || qr.profileId === undefined) {
    throw invalidQr(`${CANNOT}: the ProfileID (VendorID and profile id) is missing`);
  }
  const vendorId = hexField(stringOrEmpty(qr.vendorId), 2, 'VendorID');
  const profileId = hexField(stringOrEmpty(qr.profileId), 2, 'profile id');

  let text = `LW:D0:${qr.joinEui.toHex()}:${qr.devEui.toHex()}:${vendorId}${profileId}`;
  for (const [tag, field] of Object.entries(TR005_TAGS)) {
    const value = extensionValue(qr, field, tag);
    if (value !== undefined) text += `:${tag}${value}`;
  }
  if (text.length > MAX_DEVICE_QR_BYTES) {
    throw invalidQr(`${CANNOT}: the text would be longer than ${MAX_DEVICE_QR_BYTES} bytes`);
  }
  return text;
}

/** Validates one optional extension value of `qr`. */
function extensionValue(qr: DeviceQr, field: ExtensionField, tag: string): string | undefined {
  const value: unknown = qr[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw invalidQr(`${CANNOT}: the ${tag} extension (${field}) must be a string`);
  }
  if (value === '') {
    throw invalidQr(`${CANNOT}: the ${tag} extension (${field}) is empty; leave it out instead`);
  }
  if (value.includes(':')) {
    throw invalidQr(`${CANNOT}: the ${tag} extension (${field}) must not contain ':'`);
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw invalidQr(`${CANNOT}: the ${tag} extension (${field}) must be printable ASCII without spaces`);
  }
  return value;
}

const stringOrEmpty = (value: unknown): string => (typeof value === 'string' ? value : '');
