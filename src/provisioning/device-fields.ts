import { AesKey, Eui64, LorawanError, isMacVersion, type MacVersion } from '../lorawan/index.js';
import { parseField } from '../shared/validate.js';
import type { ImportErrorCode } from './errors.js';
import { accepted, rejected, type ImportEntry, type ImportItem } from './import-entry.js';
import { ZERO_EUI } from './microchip-device-certificate.js';

/**
 * Device field names of CSV and JSON imports, as The Things Stack spells them. `app_eui` is the
 * LoRaWAN 1.0 name of `join_eui`.
 */
export const DEVICE_FIELDS = [
  'dev_eui',
  'join_eui',
  'app_eui',
  'app_key',
  'nwk_key',
  'name',
  'lorawan_version',
  'vendor_id',
  'vendor_profile_id',
  'claim_authentication_code',
] as const;

/** One of {@link DEVICE_FIELDS}. */
export type DeviceField = (typeof DEVICE_FIELDS)[number];

/** Options shared by the CSV and JSON device readers. */
export interface DeviceFieldOptions {
  /** JoinEUI for rows without `join_eui` / `app_eui` (16 hex digits). Without it, they are rejected. */
  readonly defaultJoinEui?: string;
}

/**
 * Checks reader options once, before the first row.
 * @throws InvalidInputError `invalid_input` when `defaultJoinEui` is not 16 hex digits
 */
export function checkDeviceFieldOptions(options: DeviceFieldOptions): DeviceFieldOptions {
  if (options.defaultJoinEui === undefined) return options;
  const defaultJoinEui = parseField('defaultJoinEui', () => Eui64.fromHex(options.defaultJoinEui, 'defaultJoinEui')).toHex();
  return { ...options, defaultJoinEui };
}

/** Thrown inside this module only, to leave the field checks early with a per-entry error. */
class FieldProblem extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const MAX_NAME = 255;
const MAX_TOKEN = 64;
const TTS_MAC_VERSION = /^MAC_V1_(0|0_1|0_2|0_3|0_4|1)$/;
const HEX16 = /^(?:0[xX])?[0-9A-Fa-f]{1,4}$/;

/**
 * A LoRaWAN MAC version as written in imports: The Things Stack's `MAC_V1_0_3` form or plain
 * `1.0.3` (also `1.0.0` and `1.1.0`); case-insensitive. `undefined` for anything else.
 */
export function parseMacVersionText(text: string): MacVersion | undefined {
  const upper = text.trim().toUpperCase();
  const tts = TTS_MAC_VERSION.exec(upper);
  const plain = tts === null ? upper : `1.${(tts[1] ?? '').replace('_', '.')}`;
  const normal = plain === '1.0.0' ? '1.0' : plain === '1.1.0' ? '1.1' : plain;
  return isMacVersion(normal) ? normal : undefined;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function stringField(field: DeviceField, value: unknown): string {
  if (typeof value !== 'string') throw new FieldProblem('invalid_field', `${field} must be a string, got ${typeName(value)}`);
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Runs a lorawan parser; its messages name `what` and never echo the value. */
function lorawan<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof LorawanError) throw new FieldProblem('invalid_field', error.message);
    throw error;
  }
}

function eui(field: DeviceField, value: unknown): string {
  return lorawan(() => Eui64.fromHex(stringField(field, value), field)).toHex();
}

function key(field: DeviceField, value: unknown): AesKey {
  return lorawan(() => AesKey.fromHex(stringField(field, value), field));
}

/** VendorID / vendor profile id: 16 bits, as 1-4 hex digits (TR005 style) or a JSON integer. */
function uint16Hex(field: DeviceField, value: unknown): string {
  let n: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new FieldProblem('invalid_field', `${field} must be an integer from 0 to 65535`);
    }
    n = value;
  } else {
    const text = stringField(field, value);
    if (!HEX16.test(text)) throw new FieldProblem('invalid_field', `${field} must be 1 to 4 hex digits`);
    n = Number.parseInt(text.replace(/^0[xX]/, ''), 16);
  }
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function readFields(
  get: (field: DeviceField) => unknown,
  options: DeviceFieldOptions,
  known: { devEui?: string },
): Omit<ImportEntry, 'index'> {
  const devEuiValue = get('dev_eui');
  if (isAbsent(devEuiValue)) throw new FieldProblem('missing_field', 'dev_eui is required');
  const devEui = eui('dev_eui', devEuiValue);
  if (devEui === ZERO_EUI) throw new FieldProblem('invalid_field', 'dev_eui must not be zero');
  known.devEui = devEui;
  const entry: { -readonly [K in keyof ImportEntry]?: ImportEntry[K] } = { devEui };
  const joinValue = get('join_eui');
  const appValue = get('app_eui');
  const joinEui = isAbsent(joinValue) ? undefined : eui('join_eui', joinValue);
  const appEui = isAbsent(appValue) ? undefined : eui('app_eui', appValue);
  if (joinEui !== undefined && appEui !== undefined && joinEui !== appEui) {
    throw new FieldProblem('invalid_field', 'join_eui and app_eui are both given and differ');
  }
  const chosen = joinEui ?? appEui ?? options.defaultJoinEui?.toUpperCase();
  if (chosen === undefined) throw new FieldProblem('missing_field', 'join_eui (or app_eui) is required');
  entry.joinEui = chosen;

  const name = get('name');
  if (!isAbsent(name)) {
    const text = stringField('name', name);
    if (text.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(text)) {
      throw new FieldProblem('invalid_field', `name must be at most ${MAX_NAME} characters, without control characters`);
    }
    entry.name = text;
  }
  const appKey = get('app_key');
  if (!isAbsent(appKey)) entry.appKey = key('app_key', appKey);
  const nwkKey = get('nwk_key');
  if (!isAbsent(nwkKey)) entry.nwkKey = key('nwk_key', nwkKey);
  const version = get('lorawan_version');
  if (!isAbsent(version)) {
    const macVersion = parseMacVersionText(stringField('lorawan_version', version));
    if (macVersion === undefined) {
      throw new FieldProblem(
        'invalid_field',
        'lorawan_version must be a LoRaWAN MAC version such as 1.0.3, 1.1 or MAC_V1_0_3 (supported: 1.0 to 1.0.4, 1.1)',
      );
    }
    entry.macVersion = macVersion;
  }
  const vendorId = get('vendor_id');
  if (!isAbsent(vendorId)) entry.vendorId = uint16Hex('vendor_id', vendorId);
  const profileId = get('vendor_profile_id');
  if (!isAbsent(profileId)) entry.vendorProfileId = uint16Hex('vendor_profile_id', profileId);
  const token = get('claim_authentication_code');
  if (!isAbsent(token)) {
    const text = stringField('claim_authentication_code', token);
    if (text.length > MAX_TOKEN || !/^[\u0021-\u0039\u003b-\u007e]+$/.test(text)) {
      throw new FieldProblem(
        'invalid_field',
        `claim_authentication_code must be 1 to ${MAX_TOKEN} printable ASCII characters without spaces or ':'`,
      );
    }
    entry.ownerToken = text;
  }
  return entry as Omit<ImportEntry, 'index'>;
}

/**
 * Validates one device of a CSV or JSON import into an {@link ImportItem}. Absent, `null` and
 * empty values count as not given. EUIs come out as 16 upper-case hex digits, VendorID and
 * profile id as 4 upper-case hex digits, keys as {@link AesKey}.
 *
 * @param get the raw value of a field (`undefined` when the file has no such column / member)
 * @param where names the entry in reasons, e.g. `row 3 (line 5)` or `entry 3`
 */
export function deviceEntryFromFields(
  index: number,
  get: (field: DeviceField) => unknown,
  where: string,
  options: DeviceFieldOptions = {},
): ImportItem {
  const known: { devEui?: string } = {};
  try {
    return accepted({ index, ...readFields(get, options, known) });
  } catch (error) {
    if (!(error instanceof FieldProblem)) throw error;
    return rejected(index, error.code, `${where}: ${error.message}`, known.devEui);
  }
}
