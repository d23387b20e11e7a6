import { timingSafeEqual } from 'node:crypto';
import type { AccountRecord } from '../accounts/account.js';
import type { DeviceRecord, DevicePatch, DeviceStore, Sealed } from '../devices/device.js';
import { KeyVaultError } from '../keyvault/errors.js';
import { parseKek } from '../keyvault/kek.js';
import { sealContext } from '../keyvault/seal-context.js';
import { Eui64, LorawanError, isLorawan11, parseHex, unwrapKey } from '../lorawan/index.js';
import { ForbiddenError, InvalidInputError } from '../shared/errors.js';
import { isRecord, parseIdentifier } from '../shared/validate.js';

/**
 * Vendor key batches: the root keys of secure elements, sent by their vendor to the Join Server
 * operator out of band, each key wrapped (RFC 3394) under a transport KEK that the operator gets
 * separately. Attaching them completes devices a provisioner imported from a manifest, which
 * carries no keys (spec/microchip-manifest.md, "Where do the root keys come from?").
 */

/** Entries per request; bigger batches are sent in parts (the CLI does it by itself). */
export const VENDOR_KEYS_MAX_ENTRIES = 10_000;

/** Root-key fields a batch entry may carry. */
export type VendorKeyField = 'appKey' | 'nwkKey';

/**
 * Stable codes of a failed entry.
 *
 * - `invalid_entry`: not an object, an unknown field, no (or a malformed) `uniqueId`/`devEui`,
 *   no `appKey`, a wrapped key that is not 48 hex digits, the device appears twice in the batch,
 *   or a LoRaWAN 1.1 device would be left without a NwkKey.
 * - `unknown_device`: no device has this secure element / DevEUI (or they name two devices).
 * - `unwrap_failed`: a key fails the RFC 3394 integrity check: wrong transport KEK, or corrupted.
 * - `keys_present`: the device already holds a different root key; `replace` overwrites it.
 * - `busy`: the device kept changing while its keys were attached; running the batch again is safe.
 */
export type VendorKeyErrorCode = 'invalid_entry' | 'unknown_device' | 'unwrap_failed' | 'keys_present' | 'busy';

/**
 * The result of one entry, by `index` in the request. A success lists the keys written
 * (`attached`; `replaced` are those that overwrote a different key) and the keys the device
 * already held, identical (`unchanged`): running a batch again changes nothing and fails nothing.
 */
export type VendorKeyResult =
  | {
    readonly ok: true; readonly index: number; readonly devEUI: string; readonly uniqueId: string | null;
    readonly attached: readonly VendorKeyField[]; readonly replaced: readonly VendorKeyField[]; readonly unchanged: readonly VendorKeyField[];
  }
  | {
    readonly ok: false; readonly index: number; readonly devEUI?: string; readonly uniqueId?: string;
    readonly code: VendorKeyErrorCode; readonly message: string;
  };

/** Counts of one request. `attached`: entries that wrote a key; `unchanged`: entries with nothing to write. */
export interface VendorKeySummary {
  readonly total: number;
  readonly attached: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly dryRun: boolean;
}

/** What attaching keys needs. */
export interface VendorKeyDeps {
  readonly devices: Pick<DeviceStore, 'get' | 'getMany' | 'getBySecureElements' | 'update'>;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed; open(sealed: Sealed, context: string): Uint8Array };
}

interface Options {
  readonly kek: Uint8Array;
  readonly kekLabel: string | null;
  readonly dryRun: boolean;
  readonly replace: boolean;
  readonly actor: AccountRecord;
}

/** One entry, checked and unwrapped. */
interface Entry {
  readonly index: number;
  readonly uniqueId: string | null;
  readonly devEui: string | null;
  readonly keys: ReadonlyMap<VendorKeyField, Uint8Array>;
}

const REQUEST_FIELDS = ['kek', 'kekLabel', 'devices', 'dryRun', 'replace'];
const ENTRY_FIELDS = ['uniqueId', 'devEui', 'appKey', 'nwkKey'];
const KEY_FIELDS: readonly VendorKeyField[] = ['appKey', 'nwkKey'];
const UNIQUE_ID = /^[0-9a-fA-F]{18}$/;
const LOOKUP_SLICE = 500;
const ATTEMPTS = 3;

function failure(index: number, code: VendorKeyErrorCode, message: string, ids: { devEui?: string | null; uniqueId?: string | null } = {}): VendorKeyResult {
  return {
    ok: false, index, code, message,
    ...(ids.devEui !== undefined && ids.devEui !== null ? { devEUI: ids.devEui } : {}),
    ...(ids.uniqueId !== undefined && ids.uniqueId !== null ? { uniqueId: ids.uniqueId } : {}),
  };
}

function flag(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidInputError(`${field}: expected true or false`, field);
  return value;
}

/** The transport KEK; the message names the field, never the value. */
function transportKek(value: unknown): Uint8Array {
  try {
    return parseKek(value, 'kek');
  } catch (err) {
    if (err instanceof KeyVaultError) throw new InvalidInputError(`${err.message} (the transport KEK the batch is wrapped under)`, 'kek');
    throw err;
  }
}

/**
 * Attaches the root keys of a vendor key batch (admin only). `input` is the request as any
 * transport received it: `{ kek, kekLabel?, devices: [{ uniqueId | devEui, appKey, nwkKey? }],
 * dryRun?, replace? }`, keys wrapped (RFC 3394) under `kek`. Each entry is unwrapped, checked
 * and, unless `dryRun`, sealed and stored with a `device.keys_attached` audit event in the same
 * transaction. Bad entries are results, never exceptions; a bad request as a whole (not an
 * object, a bad KEK, more than {@link VENDOR_KEYS_MAX_ENTRIES} entries) throws InvalidInputError.
 * The KEK is neither stored nor logged, and is wiped when done.
 */
export async function importVendorKeys(
  deps: VendorKeyDeps, actor: AccountRecord, input: unknown,
): Promise<{ results: VendorKeyResult[]; summary: VendorKeySummary }> {
  if (actor.role !== 'admin') throw new ForbiddenError('vendor key batches are for admins: they hold the transport KEK');
  if (!isRecord(input)) throw new InvalidInputError('expected a JSON object {"kek": …, "kekLabel": …, "devices": [ … ]}');
  const unknown = Object.keys(input).find((key) => !REQUEST_FIELDS.includes(key));
  if (unknown !== undefined) throw new InvalidInputError(`unknown field "${unknown.slice(0, 64)}"; expected ${REQUEST_FIELDS.join(', ')}`);
  const { devices } = input;
  if (!Array.isArray(devices)) {
    throw new InvalidInputError('devices: expected an array of {"uniqueId" or "devEui", "appKey", "nwkKey"?} entries', 'devices');
  }
  if (devices.length > VENDOR_KEYS_MAX_ENTRIES) {
    throw new InvalidInputError(
      `devices: at most ${VENDOR_KEYS_MAX_ENTRIES.toLocaleString('en')} entries per request, got ${devices.length.toLocaleString('en')}; `
      + 'send the batch in parts (deed keys import-vendor does so by itself)', 'devices');
  }
  const kekLabel = input['kekLabel'] === undefined || input['kekLabel'] === null ? null : parseIdentifier('kekLabel', input['kekLabel']);
  const dryRun = flag('dryRun', input['dryRun']);
  const replace = flag('replace', input['replace']);
  const kek = transportKek(input['kek']);
  try {
    const options: Options = { kek, kekLabel, dryRun, replace, actor };
    const results = await attachAll(deps, devices, options);
    const ok = results.filter((r): r is Extract<VendorKeyResult, { ok: true }> => r.ok);
    return {
      results,
      summary: {
        total: results.length,
        attached: ok.filter((r) => r.attached.length > 0).length,
        unchanged: ok.filter((r) => r.attached.length === 0).length,
        failed: results.length - ok.length,
        dryRun,
      },
    };
  } finally {
    kek.fill(0);
  }
}

async function attachAll(deps: VendorKeyDeps, devices: readonly unknown[], options: Options): Promise<VendorKeyResult[]> {
  const results: VendorKeyResult[] = [];
  const entries: Entry[] = [];
  devices.forEach((raw, index) => {
    const parsed = parseEntry(raw, index, options.kek);
    if ('ok' in parsed) results[index] = parsed;
    else entries.push(parsed);
  });
  const { byUniqueId, byDevEui } = await lookUp(deps, entries);
  const seen = new Map<string, number>();
  try {
    for (const entry of entries) {
      const ids = { devEui: entry.devEui, uniqueId: entry.uniqueId };
      const device = resolve(entry, byUniqueId, byDevEui);
      if (typeof device === 'string') {
        results[entry.index] = failure(entry.index, 'unknown_device', device, ids);
        continue;
      }
      const earlier = seen.get(device.devEui);
      if (earlier !== undefined) {
        results[entry.index] = failure(entry.index, 'invalid_entry', `DevEUI ${device.devEui} already appeared at entry ${earlier} of this batch`, ids);
        continue;
      }
      seen.set(device.devEui, entry.index);
      results[entry.index] = await attach(deps, entry, device, options);
    }
  } finally {
    for (const entry of entries) for (const key of entry.keys.values()) key.fill(0);
  }
  return results;
}

/** Checks an entry's fields and unwraps its keys, or says why not. */
function parseEntry(raw: unknown, index: number, kek: Uint8Array): Entry | VendorKeyResult {
  if (!isRecord(raw)) return failure(index, 'invalid_entry', 'expected an object {"uniqueId" or "devEui", "appKey", "nwkKey"?}');
  const unknown = Object.keys(raw).find((key) => !ENTRY_FIELDS.includes(key));
  if (unknown !== undefined) return failure(index, 'invalid_entry', `unknown field "${unknown.slice(0, 64)}"; expected ${ENTRY_FIELDS.join(', ')}`);
  const { uniqueId: rawUniqueId, devEui: rawDevEui } = raw;
  let uniqueId: string | null = null;
  let devEui: string | null = null;
  if (rawUniqueId !== undefined && rawUniqueId !== null) {
    if (typeof rawUniqueId !== 'string' || !UNIQUE_ID.test(rawUniqueId)) {
      return failure(index, 'invalid_entry', 'uniqueId: expected the secure element serial number, 18 hex digits');
    }
    uniqueId = rawUniqueId.toLowerCase();
  }
  if (rawDevEui !== undefined && rawDevEui !== null) {
    try {
      devEui = Eui64.fromHex(rawDevEui, 'devEui').toHex();
    } catch (err) {
      if (err instanceof LorawanError) return failure(index, 'invalid_entry', `devEui: ${err.message}`, { uniqueId });
      throw err;
    }
  }
  const ids = { devEui, uniqueId };
  if (uniqueId === null && devEui === null) return failure(index, 'invalid_entry', 'give uniqueId (the secure element) or devEui', ids);
  if (raw['appKey'] === undefined || raw['appKey'] === null) return failure(index, 'invalid_entry', 'appKey: missing; every entry carries a wrapped AppKey', ids);
  const keys = new Map<VendorKeyField, Uint8Array>();
  for (const field of KEY_FIELDS) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    let wrapped: Uint8Array;
    try {
      wrapped = parseHex(value, 24, field);
    } catch (err) {
      if (!(err instanceof LorawanError)) throw err;
      return failure(index, 'invalid_entry', `${field}: expected 48 hex digits, an AES-128 key wrapped with RFC 3394 (${err.message})`, ids);
    }
    try {
      keys.set(field, unwrapKey(kek, wrapped));
    } catch (err) {
      if (!(err instanceof LorawanError)) throw err;
      for (const key of keys.values()) key.fill(0);
      return failure(index, 'unwrap_failed', `${field}: unwrapping failed its integrity check: wrong transport KEK, or corrupted data`, ids);
    }
  }
  return { index, uniqueId, devEui, keys };
}

/** Finds the devices the entries name, a slice at a time. */
async function lookUp(deps: VendorKeyDeps, entries: readonly Entry[]) {
  const uniqueIds = [...new Set(entries.flatMap((e) => (e.uniqueId === null ? [] : [e.uniqueId])))];
  const devEuis = [...new Set(entries.flatMap((e) => (e.devEui === null || e.uniqueId !== null ? [] : [e.devEui])))];
  const byUniqueId = new Map<string, DeviceRecord>();
  const byDevEui = new Map<string, DeviceRecord>();
  for (let i = 0; i < uniqueIds.length; i += LOOKUP_SLICE) {
    for (const device of await deps.devices.getBySecureElements(uniqueIds.slice(i, i + LOOKUP_SLICE))) {
      if (device.secureElement !== null) byUniqueId.set(device.secureElement.uniqueId, device);
    }
  }
  for (let i = 0; i < devEuis.length; i += LOOKUP_SLICE) {
    for (const device of await deps.devices.getMany(devEuis.slice(i, i + LOOKUP_SLICE))) byDevEui.set(device.devEui, device);
  }
  return { byUniqueId, byDevEui };
}

/** The device an entry names, or why there is none. */
function resolve(entry: Entry, byUniqueId: ReadonlyMap<string, DeviceRecord>, byDevEui: ReadonlyMap<string, DeviceRecord>): DeviceRecord | string {
  if (entry.uniqueId !== null) {
    const device = byUniqueId.get(entry.uniqueId);
    if (device === undefined) return `no device has the secure element ${entry.uniqueId}; import its manifest first`;
    if (entry.devEui !== null && device.devEui !== entry.devEui) {
      return `the secure element ${entry.uniqueId} belongs to DevEUI ${device.devEui}, not ${entry.devEui}`;
    }
    return device;
  }
  const device = entry.devEui === null ? undefined : byDevEui.get(entry.devEui);
  return device ?? `no device with DevEUI ${entry.devEui ?? '?'}`;
}

function sameKey(deps: VendorKeyDeps, device: DeviceRecord, field: VendorKeyField, key: Uint8Array): boolean | null {
  const sealed = device[field];
  if (sealed === null) return null;
  const stored = deps.vault.open(sealed, sealContext.deviceKey(device.devEui, field));
  try {
    return stored.length === key.length && timingSafeEqual(stored, key);
  } finally {
    stored.fill(0);
  }
}

/** Compares, seals and stores one entry's keys; retries when the device changed in between. */
async function attach(deps: VendorKeyDeps, entry: Entry, first: DeviceRecord, options: Options): Promise<VendorKeyResult> {
  let device: DeviceRecord | null = first;
  for (let attempt = 0; attempt < ATTEMPTS && device !== null; attempt++) {
    const ids = { devEui: device.devEui, uniqueId: device.secureElement?.uniqueId ?? entry.uniqueId };
    const attached: VendorKeyField[] = [];
    const replaced: VendorKeyField[] = [];
    const unchanged: VendorKeyField[] = [];
    for (const [field, key] of entry.keys) {
      const same = sameKey(deps, device, field, key);
      if (same === true) unchanged.push(field);
      else attached.push(field);
      if (same === false) replaced.push(field);
    }
    if (replaced.length > 0 && !options.replace) {
      return failure(entry.index, 'keys_present',
        `DevEUI ${device.devEui} already has a different ${replaced.join(' and ')}; replace (deed keys import-vendor --replace) overwrites it`, ids);
    }
    if (isLorawan11(device.macVersion) && device.nwkKey === null && !entry.keys.has('nwkKey')) {
      return failure(entry.index, 'invalid_entry', `DevEUI ${device.devEui} is a LoRaWAN 1.1 device: it needs a nwkKey as well as an appKey`, ids);
    }
    const success: VendorKeyResult = { ok: true, index: entry.index, devEUI: device.devEui, uniqueId: ids.uniqueId, attached, replaced, unchanged };
    if (attached.length === 0 || options.dryRun) return success;

    const patch: { -readonly [K in keyof DevicePatch]: DevicePatch[K] } = {};
    for (const field of attached) {
      const key = entry.keys.get(field);
      if (key !== undefined) patch[field] = deps.vault.seal(key, sealContext.deviceKey(device.devEui, field));
    }
    const updated = await deps.devices.update(device.devEui, patch, {
      expectedVersion: device.version,
      audit: {
        actor: options.actor.username, action: 'device.keys_attached', devEui: device.devEui, outcome: 'success',
        details: {
          source: 'vendor-batch',
          // Detail names must not contain "kek" nor end with "key" (audit-details.ts): hence these.
          transportLabel: options.kekLabel,
          uniqueId: ids.uniqueId,
          appKeyAttached: attached.includes('appKey'),
          nwkKeyAttached: attached.includes('nwkKey'),
          replaced: replaced.length > 0,
        },
      },
    });
    if (updated !== null) return success;
    device = await deps.devices.get(device.devEui);
  }
  return device === null
    ? failure(entry.index, 'unknown_device', `DevEUI ${first.devEui} was removed while its keys were attached`, { devEui: first.devEui })
    : failure(entry.index, 'busy', `DevEUI ${first.devEui} kept changing while its keys were attached; run the batch again`, { devEui: first.devEui });
}
