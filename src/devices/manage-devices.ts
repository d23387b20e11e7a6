import type { AuditRecorder } from '../audit/audit-event.js';
import { AesKey, Eui64, NetId, isMacVersion, MAC_VERSIONS } from '../lorawan/index.js';
import type { MacVersion } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { InvalidInputError, NotFoundError } from '../shared/errors.js';
import { parseField, parseIdentifier, parseInteger, present } from '../shared/validate.js';
import type { DevicePatch, DeviceStore, Sealed } from './device.js';
import { toDeviceView, type DeviceView } from './device-view.js';

/** What device management needs: a store, a way to seal root keys, and the audit log. */
export interface DeviceAdminDeps {
  readonly devices: DeviceStore;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed };
  /** Records `device.created` and `device.removed`. */
  readonly audit: AuditRecorder;
}

/** A device to register, as any transport received it (validated here). */
export interface AddDeviceInput {
  readonly devEui?: unknown;
  readonly joinEui?: unknown;
  readonly appKey?: unknown;
  readonly nwkKey?: unknown;
  readonly macVersion?: unknown;
  readonly homeNetId?: unknown;
  readonly homeNsId?: unknown;
  readonly asId?: unknown;
  readonly resetsJoinNonces?: unknown;
}


function macVersion(value: unknown): MacVersion {
  if (!isMacVersion(value)) {
    throw new InvalidInputError(`macVersion: expected one of ${MAC_VERSIONS.join(', ')}`, 'macVersion');
  }
  return value;
}

function bool(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidInputError(`${field}: expected true or false`, field);
  return value;
}

function optionalNetId(value: unknown): string | null {
  return present(value) ? parseField('homeNetId', () => NetId.fromHex(value).toHex()) : null;
}

function optionalNsId(value: unknown): string | null {
  return present(value) ? parseField('homeNsId', () => Eui64.fromHex(value).toHex()) : null;
}

function optionalAsId(value: unknown): string | null {
  return present(value) ? parseIdentifier('asId', value) : null;
}

/**
 * Registers a device with its root keys, sealed at rest, and records `device.created` by
 * `actor` (an account username).
 */
export async function addDevice(deps: DeviceAdminDeps, actor: string, input: AddDeviceInput): Promise<DeviceView> {
  const devEui = parseField('devEui', () => Eui64.fromHex(input.devEui).toHex());
  const joinEui = parseField('joinEui', () => Eui64.fromHex(input.joinEui).toHex());
  const version = macVersion(input.macVersion);
  const appKey = present(input.appKey) ? parseField('appKey', () => AesKey.fromHex(input.appKey, 'appKey')) : null;
  const nwkKey = present(input.nwkKey) ? parseField('nwkKey', () => AesKey.fromHex(input.nwkKey, 'nwkKey')) : null;
  if (version === '1.1' && nwkKey === null && appKey !== null) {
    throw new InvalidInputError('nwkKey: a LoRaWAN 1.1 device needs a NwkKey as well as an AppKey', 'nwkKey');
  }
  const created = await deps.devices.create({
    devEui,
    joinEui,
    macVersion: version,
    appKey: appKey === null ? null : deps.vault.seal(appKey.unsafeBytes(), sealContext.deviceKey(devEui, 'appKey')),
    nwkKey: nwkKey === null ? null : deps.vault.seal(nwkKey.unsafeBytes(), sealContext.deviceKey(devEui, 'nwkKey')),
    homeNetId: optionalNetId(input.homeNetId),
    homeNsId: optionalNsId(input.homeNsId),
    asId: optionalAsId(input.asId),
    resetsJoinNonces: bool('resetsJoinNonces', input.resetsJoinNonces),
  });
  await deps.audit.append({
    actor, action: 'device.created', devEui, outcome: 'success',
    details: { joinEui, macVersion: version, withRootKeys: appKey !== null || nwkKey !== null },
  });
  return toDeviceView(created);
}

function devEuiOf(value: unknown): string {
  return parseField('devEui', () => Eui64.fromHex(value).toHex());
}

/** One device's view; NotFoundError when unknown. */
export async function getDevice(deps: Pick<DeviceAdminDeps, 'devices'>, devEuiHex: unknown): Promise<DeviceView> {
  const devEui = devEuiOf(devEuiHex);
  const device = await deps.devices.get(devEui);
  if (device === null) throw new NotFoundError(`no device with DevEUI ${devEui}`);
  return toDeviceView(device);
}

/** A page of devices ordered by DevEUI, with the cursor of the next page. */
export async function listDevices(
  deps: Pick<DeviceAdminDeps, 'devices'>, options: { limit?: unknown; after?: unknown },
): Promise<{ devices: DeviceView[]; next: string | null }> {
  const limit = present(options.limit) ? parseInteger('limit', options.limit, 1, 1000) : 100;
  const after = present(options.after) ? devEuiOf(options.after) : undefined;
  const page = await deps.devices.list({ limit: limit + 1, ...(after !== undefined ? { after } : {}) });
  const devices = page.slice(0, limit).map(toDeviceView);
  return { devices, next: page.length > limit ? (devices[devices.length - 1]?.devEui ?? null) : null };
}

/** Changes activation settings or the nonce opt-out of a device. */
export async function updateDevice(deps: Pick<DeviceAdminDeps, 'devices'>, devEuiHex: unknown, input: AddDeviceInput): Promise<DeviceView> {
  const devEui = devEuiOf(devEuiHex);
  const patch: { -readonly [K in keyof DevicePatch]: DevicePatch[K] } = {};
  if (input.homeNetId !== undefined) patch.homeNetId = optionalNetId(input.homeNetId);
  if (input.homeNsId !== undefined) patch.homeNsId = optionalNsId(input.homeNsId);
  if (input.asId !== undefined) patch.asId = optionalAsId(input.asId);
  if (input.resetsJoinNonces !== undefined) patch.resetsJoinNonces = bool('resetsJoinNonces', input.resetsJoinNonces);
  if (input.macVersion !== undefined) patch.macVersion = macVersion(input.macVersion);
  if (input.appKey !== undefined || input.nwkKey !== undefined || input.devEui !== undefined || input.joinEui !== undefined) {
    throw new InvalidInputError('only homeNetId, homeNsId, asId, resetsJoinNonces and macVersion can be changed');
  }
  const updated = await deps.devices.update(devEui, patch);
  if (updated === null) throw new NotFoundError(`no device with DevEUI ${devEui}`);
  return toDeviceView(updated);
}

/** Deletes a device, its keys and its sessions, and records `device.removed` by `actor`. */
export async function removeDevice(deps: Pick<DeviceAdminDeps, 'devices' | 'audit'>, actor: string, devEuiHex: unknown): Promise<void> {
  const devEui = devEuiOf(devEuiHex);
  if (!(await deps.devices.remove(devEui))) throw new NotFoundError(`no device with DevEUI ${devEui}`);
  await deps.audit.append({ actor, action: 'device.removed', devEui, outcome: 'success', details: {} });
}
