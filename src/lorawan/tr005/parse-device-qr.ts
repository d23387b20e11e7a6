import { MAX_DEVICE_QR_BYTES, type DeviceQr } from './device-qr.js';
import {
  DRAFT_TAGS,
  TR005_TAGS,
  buildDeviceQr,
  euiField,
  invalidQr,
  profileIdField,
  readExtensions,
} from './qr-fields.js';

const FORMATS_EXPECTED = 'expected LW:D0:…, URN:LW:DP:…, URN:DEV:LW:… or a 16-digit DevEUI';

/**
 * Parses the text of a device identification QR code.
 *
 * Accepted, after trimming surrounding whitespace and newlines (scanners add them):
 * - LoRa Alliance TR005 final: `LW:D0:<JoinEUI>:<DevEUI>:<ProfileID>[:<tag><value>]…` with
 *   extensions `C` checksum, `O` owner token, `S` serial number, `P` proprietary;
 * - TR005 Draft 2: `URN:LW:DP:<JoinEUI>:<DevEUI>:<ProfileID>[:%V<code>%S<serial>%P<prop>]`, where
 *   `%25` stands for `%`;
 * - TR005 Draft 3: `URN:DEV:LW:<JoinEUI>_<DevEUI>_<ProfileID>[_V<code>_S<serial>_P<prop>]`;
 * - a bare 16-hex-digit DevEUI (`format: 'dev-eui-only'`, no JoinEUI, ProfileID or code).
 *
 * Prefixes and hex digits are accepted in upper or lower case; extension tags are case-sensitive
 * (upper case, as TR005 writes them) and values are kept verbatim. Empty extensions (`:O`) and
 * unknown tags are ignored; a known tag given twice with a value is rejected as ambiguous.
 *
 * The `C` checksum is stored as an opaque string and is NOT verified: the TR005 checksum algorithm
 * is not specified precisely enough to reject printed labels on it. The Things Stack does the same.
 *
 * Error messages name the offending field and its length but never echo the input: the owner
 * token is a secret.
 *
 * @param text the scanned text; typed `unknown` because it usually comes straight from a request
 * @throws LorawanError `invalid_qr` for a non-string, more than {@link MAX_DEVICE_QR_BYTES} bytes
 *   after trimming, characters other than printable ASCII inside the text, an unknown prefix or
 *   TR005 schema, too few or too many fields, EUIs that are not 8 bytes of hex, a ProfileID that
 *   is not 4 bytes of hex, or a duplicated extension
 */
export function parseDeviceQr(text: unknown): DeviceQr {
  if (typeof text !== 'string') {
    throw invalidQr('QR code text must be a string');
  }
  const trimmed = text.trim();
  if (exceedsUtf8Bytes(trimmed, MAX_DEVICE_QR_BYTES)) {
    throw invalidQr(`QR code text must be at most ${MAX_DEVICE_QR_BYTES} bytes`);
  }
  if (trimmed === '') {
    throw invalidQr(`QR code text is empty: ${FORMATS_EXPECTED}`);
  }
  if (!/^[\x21-\x7e]*$/.test(trimmed)) {
    throw invalidQr('QR code text must be printable ASCII without spaces or control characters');
  }
  const upper = trimmed.toUpperCase();
  if (upper.startsWith('LW:')) return parseTr005(trimmed);
  if (upper.startsWith('URN:LW:DP:')) return parseDraft2(trimmed);
  if (upper.startsWith('URN:DEV:LW:')) return parseDraft3(trimmed);
  if (/^[0-9A-Fa-f]{16}$/.test(trimmed)) {
    return buildDeviceQr('dev-eui-only', null, euiField(trimmed, 'DevEUI'), null, {});
  }
  throw invalidQr(`not a LoRaWAN device QR code: ${FORMATS_EXPECTED}`);
}

/** `LW:D0:<JoinEUI>:<DevEUI>:<ProfileID>[:<tag><value>]…` */
function parseTr005(text: string): DeviceQr {
  const fields = text.split(':');
  if (fields.length < 5) {
    throw invalidQr(
      `TR005 QR code must have at least 5 fields separated by ':' (LW:D0:JoinEUI:DevEUI:ProfileID), got ${fields.length}`,
    );
  }
  if (fields[1]?.toUpperCase() !== 'D0') {
    throw invalidQr('unsupported TR005 QR code schema: expected LW:D0:');
  }
  return buildDeviceQr(
    'tr005',
    euiField(fields[2], 'JoinEUI'),
    euiField(fields[3], 'DevEUI'),
    profileIdField(fields[4]),
    readExtensions(fields.slice(5), TR005_TAGS),
  );
}

/** `URN:LW:DP:<JoinEUI>:<DevEUI>:<ProfileID>[:%V<code>%S<serial>%P<prop>]` */
function parseDraft2(text: string): DeviceQr {
  const fields = text.split(':');
  if (fields.length < 6) {
    throw invalidQr(
      `TR005 Draft 2 QR code must have at least 6 fields separated by ':' (URN:LW:DP:JoinEUI:DevEUI:ProfileID), got ${fields.length}`,
    );
  }
  if (fields.length > 7) {
    throw invalidQr(`TR005 Draft 2 QR code must have at most 7 fields separated by ':', got ${fields.length}`);
  }
  const extensions = (fields[6] ?? '').replaceAll('%25', '%').split('%');
  return buildDeviceQr(
    'tr005-draft2',
    euiField(fields[3], 'JoinEUI'),
    euiField(fields[4], 'DevEUI'),
    profileIdField(fields[5]),
    readExtensions(extensions, DRAFT_TAGS),
  );
}

/** `URN:DEV:LW:<JoinEUI>_<DevEUI>_<ProfileID>[_V<code>_S<serial>_P<prop>]` */
function parseDraft3(text: string): DeviceQr {
  const rest = text.slice('URN:DEV:LW:'.length);
  if (rest.includes(':')) {
    throw invalidQr("TR005 Draft 3 QR code must not contain ':' after URN:DEV:LW:");
  }
  const fields = rest.split('_');
  if (fields.length < 3) {
    throw invalidQr(
      `TR005 Draft 3 QR code must have at least 3 fields separated by '_' (JoinEUI_DevEUI_ProfileID), got ${fields.length}`,
    );
  }
  return buildDeviceQr(
    'tr005-draft3',
    euiField(fields[0], 'JoinEUI'),
    euiField(fields[1], 'DevEUI'),
    profileIdField(fields[2]),
    readExtensions(fields.slice(3), DRAFT_TAGS),
  );
}

/** True if the UTF-8 encoding of `text` is longer than `limit` bytes; stops counting early. */
function exceedsUtf8Bytes(text: string, limit: number): boolean {
  if (text.length > limit) return true; // every UTF-16 unit is at least one UTF-8 byte
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3; // includes a lone surrogate, encoded as U+FFFD
    if (bytes > limit) return true;
  }
  return false;
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;
