import type { AccountRecord } from '../accounts/account.js';
import type { ApplicationStore } from '../applications/application.js';
import { AlreadyExistsError } from '../shared/deed-error.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { parseIdentifier, parseInteger, present } from '../shared/validate.js';
import type { IpDeviceRecord, IpDeviceStore } from './ip-device.js';

/** What managing IP devices needs. */
export interface IpDeviceAdminDeps {
  readonly ipDevices: IpDeviceStore;
  readonly applications: Pick<ApplicationStore, 'get'>;
  readonly hashToken: (token: string) => string;
  /** A new random access token. */
  readonly newAccessToken: () => string;
  readonly newId: () => string;
}

/** What the API and CLI show of an IP device. */
export interface IpDeviceView {
  readonly id: string;
  readonly name: string;
  readonly state: 'unclaimed' | 'claimed';
  readonly applicationId: string | null;
  readonly gatewayId: string | null;
  readonly claimingAllowed: boolean | null;
  readonly claimedAt: string | null;
  readonly createdAt: string;
  /** Only in the answer that created or rotated it. */
  readonly accessToken?: string;
}

export function toIpDeviceView(device: IpDeviceRecord, accessToken?: string): IpDeviceView {
  return {
    id: device.id,
    name: device.name,
    state: device.applicationId === null ? 'unclaimed' : 'claimed',
    applicationId: device.applicationId,
    gatewayId: device.gatewayId,
    claimingAllowed: device.claimingAllowed,
    claimedAt: device.claimedAt?.toISOString() ?? null,
    createdAt: device.createdAt.toISOString(),
    ...(accessToken !== undefined ? { accessToken } : {}),
  };
}

function scopeOf(actor: AccountRecord): string {
  if (actor.role === 'owner') throw new ForbiddenError('owners claim devices; makers (provisioners) and admins create them');
  return actor.role === 'provisioner' ? actor.id : 'admin';
}

function optionalFlag(value: unknown): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new InvalidInputError('claimingAllowed: expected true or false', 'claimingAllowed');
  return value;
}

/**
 * Creates an IP device in the actor's inventory with a new access token, returned this once
 * (only its SHA-256 is stored). The name is unique within the maker's inventory.
 */
export async function addIpDevice(deps: IpDeviceAdminDeps, actor: AccountRecord, input: { name?: unknown; claimingAllowed?: unknown }): Promise<IpDeviceView> {
  const scope = scopeOf(actor);
  const name = parseIdentifier('name', input.name);
  const token = deps.newAccessToken();
  try {
    const created = await deps.ipDevices.create({
      id: deps.newId(), name, scope, provisionerId: actor.role === 'provisioner' ? actor.id : null, gatewayId: null,
      accessTokenHash: deps.hashToken(token), claimingAllowed: optionalFlag(input.claimingAllowed),
    });
    return toIpDeviceView(created, token);
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw new AlreadyExistsError('device', { name, reason: `a device named ${name} exists already in your inventory` });
    throw error;
  }
}

/** One row's result of a bulk creation. */
export type BulkIpDeviceResult = { index: number; ok: true; device: IpDeviceView } | { index: number; ok: false; code: string; message: string };

/** Creates many IP devices (CSV import): one result per row; a bad or duplicate row fails alone. */
export async function addIpDevices(deps: IpDeviceAdminDeps, actor: AccountRecord, rows: readonly unknown[]): Promise<BulkIpDeviceResult[]> {
  scopeOf(actor);
  if (rows.length > 10_000) throw new InvalidInputError('at most 10,000 devices per request; split the file');
  const results: BulkIpDeviceResult[] = [];
  for (const [index, row] of rows.entries()) {
    try {
      const input = typeof row === 'object' && row !== null ? row as { name?: unknown; claimingAllowed?: unknown } : {};
      results.push({ index, ok: true, device: await addIpDevice(deps, actor, input) });
    } catch (error) {
      if (!(error instanceof InvalidInputError || error instanceof AlreadyExistsError)) throw error;
      const message = error instanceof AlreadyExistsError ? 'a device of that name exists already in your inventory' : error.message;
      results.push({ index, ok: false, code: error.code, message });
    }
  }
  return results;
}

async function ownDevice(deps: IpDeviceAdminDeps, actor: AccountRecord, id: unknown): Promise<IpDeviceRecord> {
  const scope = scopeOf(actor);
  const device = typeof id === 'string' ? await deps.ipDevices.get(id) : null;
  if (device === null || (actor.role !== 'admin' && device.scope !== scope)) throw new NotFoundError(`no IP device ${String(id)}`);
  return device;
}

/** Replaces a device's access token; the old one stops working at once. Returns the new one, once. */
export async function rotateAccessToken(deps: IpDeviceAdminDeps, actor: AccountRecord, id: unknown): Promise<IpDeviceView> {
  const device = await ownDevice(deps, actor, id);
  if (device.gatewayId !== null) throw new InvalidInputError('a gateway\'s child device has no access token: it is announced by its gateway');
  const token = deps.newAccessToken();
  const updated = await deps.ipDevices.update(device.id, { accessTokenHash: deps.hashToken(token) }, {});
  if (updated === null) throw new NotFoundError(`no IP device ${device.id}`);
  return toIpDeviceView(updated, token);
}

/** The actor's IP devices (a maker's inventory; all for an admin), by name. */
export async function listIpDevices(deps: IpDeviceAdminDeps, actor: AccountRecord, options: { limit?: unknown; after?: unknown }): Promise<IpDeviceView[]> {
  const scope = actor.role === 'admin' ? null : scopeOf(actor);
  const limit = present(options.limit) ? parseInteger('limit', options.limit, 1, 1000) : 1000;
  const after = typeof options.after === 'string' && options.after !== '' ? options.after : undefined;
  return (await deps.ipDevices.list(scope, { limit, ...(after !== undefined ? { after } : {}) })).map((d) => toIpDeviceView(d));
}
