import type { AccountRecord } from '../accounts/account.js';
import type { ApplicationStore } from '../applications/application.js';
import { Eui64 } from '../lorawan/index.js';
import { NotFoundError } from '../shared/errors.js';
import { parseField } from '../shared/validate.js';
import type { DeviceRecord, DeviceScope, DeviceStore } from './device.js';

/**
 * How an account relates to a device: `admin` (every device), `maker` (the provisioner whose
 * inventory holds it) or `holder` (the owner of the application it is claimed into).
 */
export type DeviceRelation = 'admin' | 'maker' | 'holder';

/** What resolving access needs. */
export interface DeviceAccessDeps {
  readonly devices: DeviceStore;
  readonly applications: Pick<ApplicationStore, 'get'>;
}

/** The devices an account may list: all for an admin, a maker's inventory, an owner's claimed devices. */
export function scopeOf(account: AccountRecord): DeviceScope {
  switch (account.role) {
    case 'admin': return { kind: 'all' };
    case 'provisioner': return { kind: 'provisioner', accountId: account.id };
    case 'owner': return { kind: 'owner', accountId: account.id };
  }
}

/** A DevEUI from any transport, validated; the error names the field. */
export function parseDevEui(value: unknown): string {
  return parseField('devEui', () => Eui64.fromHex(value).toHex());
}

/**
 * The device and the account's relation to it. A device the account may not see is reported
 * exactly like one that does not exist (NotFoundError), so tenants cannot probe each other's
 * inventory.
 */
export async function resolveDevice(
  deps: DeviceAccessDeps, account: AccountRecord, devEuiInput: unknown,
): Promise<{ device: DeviceRecord; relation: DeviceRelation }> {
  const devEui = parseDevEui(devEuiInput);
  const device = await deps.devices.get(devEui);
  const relation = device === null ? null : await relationOf(deps, account, device);
  if (device === null || relation === null) throw new NotFoundError(`no device with DevEUI ${devEui}`);
  return { device, relation };
}

/** The account's relation to a device, or null when it may not see it. */
export async function relationOf(deps: Pick<DeviceAccessDeps, 'applications'>, account: AccountRecord, device: DeviceRecord): Promise<DeviceRelation | null> {
  if (account.role === 'admin') return 'admin';
  if (account.role === 'provisioner') return device.provisionerId === account.id ? 'maker' : null;
  if (device.applicationId === null) return null;
  const application = await deps.applications.get(device.applicationId);
  return application !== null && application.ownerId === account.id ? 'holder' : null;
}

/**
 * Whether the owner token is this account's business: the maker's (or an admin's) while the
 * device is unclaimed, the holder's (or an admin's) once it is claimed.
 */
export function mayHandleOwnerToken(relation: DeviceRelation, device: DeviceRecord): boolean {
  if (relation === 'admin') return true;
  return device.applicationId === null ? relation === 'maker' : relation === 'holder';
}
