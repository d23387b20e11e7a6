import type { AccountRecord } from '../accounts/account.js';
import type { ApplicationStore } from '../applications/application.js';
import type { AuditRecorder } from '../audit/audit-event.js';
import { AesKey, Eui64, NetId, isMacVersion, MAC_VERSIONS } from '../lorawan/index.js';
import type { MacVersion } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { parseField, parseIdentifier, parseInteger, present } from '../shared/validate.js';
import { mayHandleOwnerToken, parseDevEui, resolveDevice, scopeOf } from './device-access.js';
import type { DeviceFilter, DevicePatch, DeviceRecord, DeviceStore, Sealed } from './device.js';
import { toDeviceView, type DeviceView } from './device-view.js';
import { generateOwnerToken, parseOwnerToken } from './owner-token.js';

/** What device management needs: stores, the key vault, the audit log, randomness and time. */
export interface DeviceAdminDeps {
  readonly devices: DeviceStore;
  readonly applications: Pick<ApplicationStore, 'get'>;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed; open(sealed: Sealed, context: string): Uint8Array };
  /** Records `device.created`, `device.removed`, `device.keys_exported`, `device.token_changed`. */
  readonly audit: AuditRecorder;
  readonly random: { bytes(n: number): Uint8Array };
  readonly clock: { now(): Date };
  /** Length of generated owner tokens (upper-case hex characters). */
  readonly ownerTokenLength: number;
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
  readonly name?: unknown;
  readonly ownerToken?: unknown;
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

function optionalName(value: unknown): string | null {
  return present(value) ? parseIdentifier('name', value) : null;
}

function optionalDate(field: string, value: unknown): Date | null {
  if (!present(value)) return null;
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new InvalidInputError(`${field}: expected an ISO 8601 date and time, e.g. 2027-01-31T00:00:00Z`, field);
  }
  return date;
}

/** Opens a device's owner token; null when none is set. */
export function openOwnerToken(deps: Pick<DeviceAdminDeps, 'vault'>, device: DeviceRecord): string | null {
  if (device.ownerToken === null) return null;
  return Buffer.from(deps.vault.open(device.ownerToken, sealContext.ownerToken(device.devEui))).toString('utf8');
}

/** Seals an owner token for `devEui`. */
export function sealOwnerToken(deps: Pick<DeviceAdminDeps, 'vault'>, devEui: string, token: string): Sealed {
  return deps.vault.seal(Buffer.from(token, 'utf8'), sealContext.ownerToken(devEui));
}

/**
 * Registers a device with its root keys (sealed at rest) and an owner token (given, or
 * generated), into the inventory of `actor` when it is a provisioner; records `device.created`.
 */
export async function addDevice(deps: DeviceAdminDeps, actor: AccountRecord, input: AddDeviceInput): Promise<DeviceView> {
  if (actor.role === 'owner') throw new ForbiddenError('owners claim devices; only admins and provisioners add them');
  const devEui = parseDevEui(input.devEui);
  const joinEui = parseField('joinEui', () => Eui64.fromHex(input.joinEui).toHex());
  const version = macVersion(input.macVersion);
  const appKey = present(input.appKey) ? parseField('appKey', () => AesKey.fromHex(input.appKey, 'appKey')) : null;
  const nwkKey = present(input.nwkKey) ? parseField('nwkKey', () => AesKey.fromHex(input.nwkKey, 'nwkKey')) : null;
  if (version === '1.1' && nwkKey === null && appKey !== null) {
    throw new InvalidInputError('nwkKey: a LoRaWAN 1.1 device needs a NwkKey as well as an AppKey', 'nwkKey');
  }
  const token = present(input.ownerToken) ? parseOwnerToken(input.ownerToken) : generateOwnerToken(deps.random, deps.ownerTokenLength);
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
    name: optionalName(input.name),
    provisionerId: actor.role === 'provisioner' ? actor.id : null,
    ownerToken: sealOwnerToken(deps, devEui, token),
  });
  await deps.audit.append({
    actor: actor.username, action: 'device.created', devEui, outcome: 'success',
    details: { joinEui, macVersion: version, withRootKeys: appKey !== null || nwkKey !== null },
  });
  return toDeviceView(created, { ownerToken: token });
}

/** One device's view (with nonces when asked); NotFoundError when unknown or not the account's. */
export async function getDevice(
  deps: DeviceAdminDeps, actor: AccountRecord, devEuiInput: unknown, options: { nonces?: boolean } = {},
): Promise<DeviceView> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  return toDeviceView(device, {
    nonces: options.nonces === true,
    ...(mayHandleOwnerToken(relation, device) ? { ownerToken: openOwnerToken(deps, device) } : {}),
  });
}

const STATES = ['unclaimed', 'claimed', 'exposed', 'keys_missing'] as const;

/** A page of the account's devices ordered by DevEUI, with the cursor of the next page. */
export async function listDevices(
  deps: DeviceAdminDeps, actor: AccountRecord,
  options: { limit?: unknown; after?: unknown; state?: unknown; search?: unknown; nonces?: boolean },
): Promise<{ devices: DeviceView[]; next: string | null; total: number }> {
  const limit = present(options.limit) ? parseInteger('limit', options.limit, 1, 1000) : 100;
  const after = present(options.after) ? parseDevEui(options.after) : undefined;
  const filter: { -readonly [K in keyof DeviceFilter]: DeviceFilter[K] } = {};
  if (present(options.state)) {
    if (!(STATES as readonly unknown[]).includes(options.state)) {
      throw new InvalidInputError(`state: expected one of ${STATES.join(', ')}`, 'state');
    }
    filter.state = options.state as (typeof STATES)[number];
  }
  if (present(options.search)) {
    if (typeof options.search !== 'string' || options.search.length > 64) {
      throw new InvalidInputError('search: expected up to 64 characters of a DevEUI or a name', 'search');
    }
    filter.search = options.search;
  }
  const scope = scopeOf(actor);
  const page = await deps.devices.list({ limit: limit + 1, scope, filter, ...(after !== undefined ? { after } : {}) });
  const shown = page.slice(0, limit);
  const devices = shown.map((device) => toDeviceView(device, {
    nonces: options.nonces === true,
    // In a listing the relation follows from the scope: a maker's inventory, an owner's devices, or all (admin).
    ...(mayHandleOwnerToken(actor.role === 'admin' ? 'admin' : actor.role === 'provisioner' ? 'maker' : 'holder', device)
      ? { ownerToken: openOwnerToken(deps, device) } : {}),
  }));
  const total = await deps.devices.count(scope, filter);
  return { devices, next: page.length > limit ? (shown[shown.length - 1]?.devEui ?? null) : null, total };
}

/** Changes activation settings, the name or the nonce opt-out of a device. */
export async function updateDevice(deps: DeviceAdminDeps, actor: AccountRecord, devEuiInput: unknown, input: AddDeviceInput): Promise<DeviceView> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  const patch: { -readonly [K in keyof DevicePatch]: DevicePatch[K] } = {};
  if (input.homeNetId !== undefined) patch.homeNetId = optionalNetId(input.homeNetId);
  if (input.homeNsId !== undefined) patch.homeNsId = optionalNsId(input.homeNsId);
  if (input.asId !== undefined) patch.asId = optionalAsId(input.asId);
  if (input.resetsJoinNonces !== undefined) patch.resetsJoinNonces = bool('resetsJoinNonces', input.resetsJoinNonces);
  if (input.macVersion !== undefined) patch.macVersion = macVersion(input.macVersion);
  if (input.name !== undefined) patch.name = optionalName(input.name);
  if (input.appKey !== undefined || input.nwkKey !== undefined || input.devEui !== undefined || input.joinEui !== undefined
    || input.ownerToken !== undefined) {
    throw new InvalidInputError('only homeNetId, homeNsId, asId, resetsJoinNonces, macVersion and name can be changed here');
  }
  const updated = await deps.devices.update(device.devEui, patch);
  if (updated === null) throw new NotFoundError(`no device with DevEUI ${device.devEui}`);
  return toDeviceView(updated, mayHandleOwnerToken(relation, updated) ? { ownerToken: openOwnerToken(deps, updated) } : {});
}

/** Deletes a device, its keys and its sessions (admin, or its maker), and records `device.removed`. */
export async function removeDevice(deps: DeviceAdminDeps, actor: AccountRecord, devEuiInput: unknown): Promise<void> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  if (relation === 'holder') throw new ForbiddenError('an owner releases a device (unclaim); only its maker or an admin deletes it');
  if (!(await deps.devices.remove(device.devEui))) throw new NotFoundError(`no device with DevEUI ${device.devEui}`);
  await deps.audit.append({ actor: actor.username, action: 'device.removed', devEui: device.devEui, outcome: 'success', details: {} });
}

/**
 * Exports a device's root keys to its maker (or an admin): marks the device `rootKeysExposed`
 * forever, recording who and when (the first export's), with a `device.keys_exported` audit event
 * in the same transaction, and only then returns the keys. Owners never get root keys.
 */
export async function exportRootKeys(
  deps: DeviceAdminDeps, actor: AccountRecord, devEuiInput: unknown, options: { nonces?: boolean } = {},
): Promise<DeviceView> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  if (relation === 'holder') throw new ForbiddenError('root keys never leave custody to an owner; only the device maker or an admin may export them');
  const at = deps.clock.now();
  const marked = await deps.devices.update(device.devEui, { rootKeysExposed: { at, by: actor.username } }, {
    audit: {
      actor: actor.username, action: 'device.keys_exported', devEui: device.devEui, outcome: 'success', at,
      details: { appKeyInCustody: device.appKey !== null, nwkKeyInCustody: device.nwkKey !== null, firstExport: device.rootKeysExposed === null },
    },
  });
  if (marked === null) throw new NotFoundError(`no device with DevEUI ${device.devEui}`);
  const open = (sealed: Sealed | null, field: 'appKey' | 'nwkKey') =>
    sealed === null ? null : Buffer.from(deps.vault.open(sealed, sealContext.deviceKey(device.devEui, field))).toString('hex').toUpperCase();
  return toDeviceView(marked, {
    nonces: options.nonces === true,
    ...(mayHandleOwnerToken(relation, marked) ? { ownerToken: openOwnerToken(deps, marked) } : {}),
    rootKeys: { appKey: open(marked.appKey, 'appKey'), nwkKey: open(marked.nwkKey, 'nwkKey') },
  });
}

/** What changing an owner token takes: a token to set, or `regenerate`, and an optional validity window. */
export interface OwnerTokenInput {
  readonly ownerToken?: unknown;
  readonly regenerate?: unknown;
  readonly validFrom?: unknown;
  readonly validTo?: unknown;
}

/**
 * Sets or regenerates a device's owner token, and/or its validity window, with a
 * `device.token_changed` audit event and outbox event (never the token) in the same
 * transaction. The maker may do it while the device is unclaimed, the holder once it is
 * claimed, an admin always.
 */
export async function changeOwnerToken(deps: DeviceAdminDeps, actor: AccountRecord, devEuiInput: unknown, input: OwnerTokenInput): Promise<DeviceView> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  if (!mayHandleOwnerToken(relation, device)) {
    throw new ForbiddenError(device.applicationId === null
      ? 'the owner token of an unclaimed device belongs to its maker'
      : 'the owner token of a claimed device belongs to the owner holding it');
  }
  const regenerate = bool('regenerate', input.regenerate);
  if (regenerate && present(input.ownerToken)) throw new InvalidInputError('give either ownerToken or regenerate, not both');
  const patch: { -readonly [K in keyof DevicePatch]: DevicePatch[K] } = {};
  let token: string | undefined;
  if (regenerate) token = generateOwnerToken(deps.random, deps.ownerTokenLength);
  else if (present(input.ownerToken)) token = parseOwnerToken(input.ownerToken);
  if (token !== undefined) patch.ownerToken = sealOwnerToken(deps, device.devEui, token);
  if (input.validFrom !== undefined) patch.ownerTokenValidFrom = optionalDate('validFrom', input.validFrom);
  if (input.validTo !== undefined) patch.ownerTokenValidTo = optionalDate('validTo', input.validTo);
  const from = patch.ownerTokenValidFrom !== undefined ? patch.ownerTokenValidFrom : device.ownerTokenValidFrom;
  const to = patch.ownerTokenValidTo !== undefined ? patch.ownerTokenValidTo : device.ownerTokenValidTo;
  if (from !== null && to !== null && from.getTime() >= to.getTime()) {
    throw new InvalidInputError('validTo must be later than validFrom', 'validTo');
  }
  if (Object.keys(patch).length === 0) {
    throw new InvalidInputError('give ownerToken, regenerate: true, validFrom or validTo');
  }
  const details = {
    change: regenerate ? 'regenerated' : token !== undefined ? 'set' : 'validity',
    validFrom: from?.toISOString() ?? null, validTo: to?.toISOString() ?? null,
  };
  // The event goes to the holder (the application's owner), or to the maker while unclaimed.
  const ownerId = device.applicationId === null
    ? device.provisionerId
    : (await deps.applications.get(device.applicationId))?.ownerId ?? null;
  const updated = await deps.devices.update(device.devEui, patch, {
    audit: { actor: actor.username, action: 'device.token_changed', devEui: device.devEui, outcome: 'success', details },
    events: [{
      type: 'device.token_changed', devEui: device.devEui, applicationId: device.applicationId, ownerId, at: deps.clock.now(), data: details,
    }],
  });
  if (updated === null) throw new NotFoundError(`no device with DevEUI ${device.devEui}`);
  return toDeviceView(updated, { ownerToken: openOwnerToken(deps, updated) });
}
