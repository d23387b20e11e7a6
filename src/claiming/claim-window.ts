import type { AccountRecord } from '../accounts/account.js';
import type { ApplicationRecord, ApplicationStore } from '../applications/application.js';
import type { AuditRecorder } from '../audit/audit-event.js';
import type { Sealed } from '../devices/device.js';
import { ownerTokenMatches } from '../devices/owner-token.js';
import { sealContext } from '../keyvault/seal-context.js';
import { AlreadyExistsError } from '../shared/deed-error.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { isRecord, parseIdentifier } from '../shared/validate.js';
import { ClaimError } from './errors.js';
import type { IpDeviceRecord, IpDeviceStore } from './ip-device.js';

/** The claiming policy the operator configures (ThingsBoard's `claim.*` settings). */
export interface ClaimWindowSettings {
  /** When false, a device may open a window only if its `claimingAllowed` flag is set. */
  readonly allowClaimingByDefault: boolean;
  /** Window length when the device gives none (or a non-positive one), ms. */
  readonly defaultDurationMs: number;
  /** Longer windows are clamped to this, ms. */
  readonly maxDurationMs: number;
  /** Wrong secrets after which a window closes. */
  readonly maxSecretFailures: number;
}

/** What the device-window use cases need. */
export interface ClaimWindowDeps {
  readonly ipDevices: IpDeviceStore;
  readonly applications: Pick<ApplicationStore, 'get' | 'listByOwner' | 'create'>;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed; open(sealed: Sealed, context: string): Uint8Array };
  readonly audit: AuditRecorder;
  readonly clock: { now(): Date };
  /** SHA-256 of an access token, as stored. */
  readonly hashToken: (token: string) => string;
  readonly settings: ClaimWindowSettings;
}

/** A window announcement as a device sends it (JSON already parsed). */
export interface WindowAnnouncement {
  readonly secretKey: string;
  readonly durationMs: number;
}

const MAX_SECRET = 256;

/**
 * Reads `{secretKey, durationMs}` (both optional: an empty secret, the default duration) from
 * what a device sent. Anything but a JSON object, or fields of the wrong type, is refused.
 */
export function parseAnnouncement(body: unknown, settings: ClaimWindowSettings): WindowAnnouncement {
  if (body === undefined || body === null) return { secretKey: '', durationMs: settings.defaultDurationMs };
  if (!isRecord(body)) throw new InvalidInputError('the claim request must be a JSON object like {"secretKey":"…","durationMs":60000}');
  const { secretKey, durationMs } = body;
  if (secretKey !== undefined && secretKey !== null && (typeof secretKey !== 'string' || secretKey.length > MAX_SECRET)) {
    throw new InvalidInputError(`secretKey: expected a string of at most ${MAX_SECRET} characters`, 'secretKey');
  }
  if (durationMs !== undefined && durationMs !== null && (typeof durationMs !== 'number' || !Number.isFinite(durationMs))) {
    throw new InvalidInputError('durationMs: expected a number of milliseconds', 'durationMs');
  }
  const requested = typeof durationMs === 'number' && durationMs > 0 ? Math.floor(durationMs) : settings.defaultDurationMs;
  return { secretKey: typeof secretKey === 'string' ? secretKey : '', durationMs: Math.min(requested, settings.maxDurationMs) };
}

/** The device an access token belongs to; `unknown_access_token` otherwise. */
export async function deviceByAccessToken(deps: Pick<ClaimWindowDeps, 'ipDevices' | 'hashToken'>, accessToken: string): Promise<IpDeviceRecord> {
  const device = accessToken === '' ? null : await deps.ipDevices.getByTokenHash(deps.hashToken(accessToken));
  if (device === null) throw new ClaimError('unknown_access_token', 'unknown access token');
  return device;
}

function claimingAllowed(device: IpDeviceRecord, settings: ClaimWindowSettings): boolean {
  return device.claimingAllowed ?? settings.allowClaimingByDefault;
}

/**
 * Opens (or replaces) a device's claim window: `{secretKey, durationMs}` for the next
 * `durationMs` (clamped to the maximum). Refused, with an error the device can read, when the
 * device is owned already or claiming is off for it: checked on `device` as read, and again in
 * the write itself, so a claim that commits in between leaves no window. Durable: survives
 * restarts, seen by every instance.
 */
export async function openClaimWindow(deps: ClaimWindowDeps, device: IpDeviceRecord, announcement: WindowAnnouncement): Promise<{ expiresAt: Date }> {
  if (device.applicationId !== null) throw new ClaimError('already_claimed', `device ${device.name} is already claimed`);
  if (!claimingAllowed(device, deps.settings)) throw new ClaimError('claiming_not_allowed', `claiming is not allowed for device ${device.name}`);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + announcement.durationMs);
  const opened = await deps.ipDevices.putWindow({
    deviceId: device.id,
    secret: deps.vault.seal(Buffer.from(announcement.secretKey, 'utf8'), sealContext.claimSecret(device.id)),
    expiresAt,
    openedAt: now,
  }, { allowClaimingByDefault: deps.settings.allowClaimingByDefault });
  if (!opened) {
    // Claimed (or its flag cleared) since it was read: the write checked again and wrote nothing.
    const current = await deps.ipDevices.get(device.id);
    if (current !== null && current.applicationId === null) throw new ClaimError('claiming_not_allowed', `claiming is not allowed for device ${device.name}`);
    throw new ClaimError('already_claimed', `device ${device.name} is already claimed`);
  }
  return { expiresAt };
}

/** One child's outcome of a gateway announcement. */
export type GatewayChildResult = { readonly result: 'OK'; readonly expiresAt: string } | { readonly result: 'CLAIMED' | 'NOT_ALLOWED' | 'ERROR'; readonly message: string };

const MAX_CHILDREN = 1000;

/**
 * A gateway announces windows for the devices it serves: `{"Device A": {secretKey, durationMs}, …}`.
 * Unknown children are created in the gateway's scope (as its children). Returns one result per
 * device name; a child that is owned already is reported `CLAIMED`.
 */
export async function openGatewayWindows(deps: ClaimWindowDeps, gateway: IpDeviceRecord, body: unknown): Promise<Record<string, GatewayChildResult>> {
  if (!isRecord(body)) throw new InvalidInputError('the gateway claim request must be a JSON object of device name → {"secretKey","durationMs"}');
  const entries = Object.entries(body);
  if (entries.length === 0) throw new InvalidInputError('the gateway claim request names no device');
  if (entries.length > MAX_CHILDREN) throw new InvalidInputError(`at most ${MAX_CHILDREN} devices per gateway claim request`);
  const results: Record<string, GatewayChildResult> = {};
  for (const [name, value] of entries) {
    try {
      const childName = parseIdentifier('device name', name);
      const announcement = parseAnnouncement(value ?? {}, deps.settings);
      const child = await deps.ipDevices.findChild(gateway.id, childName) ?? await createChild(deps, gateway, childName);
      const { expiresAt } = await openClaimWindow(deps, child, announcement);
      results[name] = { result: 'OK', expiresAt: expiresAt.toISOString() };
    } catch (error) {
      if (error instanceof ClaimError && error.code === 'already_claimed') results[name] = { result: 'CLAIMED', message: error.message };
      else if (error instanceof ClaimError && error.code === 'claiming_not_allowed') results[name] = { result: 'NOT_ALLOWED', message: error.message };
      else if (error instanceof InvalidInputError || error instanceof ClaimError) results[name] = { result: 'ERROR', message: error.message };
      else throw error;
    }
  }
  return results;
}

async function createChild(deps: ClaimWindowDeps, gateway: IpDeviceRecord, name: string): Promise<IpDeviceRecord> {
  try {
    return await deps.ipDevices.create({
      // Called on the Crypto object: a detached randomUUID throws.
      id: globalThis.crypto.randomUUID(), name, scope: gateway.scope, provisionerId: gateway.provisionerId, gatewayId: gateway.id, accessTokenHash: null, claimingAllowed: null,
    });
  } catch (error) {
    // A device of that name exists in the scope but is not this gateway's child.
    throw new ClaimError('claiming_not_allowed', `a device named ${name} exists already and is not served by this gateway`, { cause: String(error) });
  }
}

/** The customer claim outcomes of ThingsBoard's API. */
export type CustomerClaimOutcome =
  | { readonly outcome: 'SUCCESS'; readonly device: IpDeviceRecord }
  | { readonly outcome: 'FAILURE' }
  | { readonly outcome: 'CLAIMED' };

/** The application a claim by name lands in: the one asked for, else the owner's only (or first) one, else a new default. */
async function targetApplication(deps: ClaimWindowDeps, owner: AccountRecord, applicationId: unknown): Promise<ApplicationRecord> {
  if (applicationId !== undefined && applicationId !== null && applicationId !== '') {
    const id = parseIdentifier('applicationId', applicationId);
    const application = await deps.applications.get(id);
    if (application === null || application.ownerId !== owner.id) throw new NotFoundError(`no application ${id} of yours`);
    return application;
  }
  const mine = await deps.applications.listByOwner(owner.id);
  const first = [...mine].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
  if (first !== undefined) return first;
  const id = `default-${owner.id.replace(/[^a-z0-9]/g, '').slice(0, 12)}`;
  const existing = await deps.applications.get(id);
  if (existing !== null) return existing;
  try {
    return await deps.applications.create({
      id, ownerId: owner.id, name: 'Default', homeNetId: null, homeNsId: null, asId: null, asKekLabel: null,
    });
  } catch (error) {
    // A concurrent first claim of the same owner created it a moment ago.
    const raced = error instanceof AlreadyExistsError ? await deps.applications.get(id) : null;
    if (raced !== null && raced.ownerId === owner.id) return raced;
    throw error;
  }
}

/**
 * A user claims a device by name and the secret its window carries (ThingsBoard's customer
 * claim). SUCCESS moves the device into the owner's application, consumes the window and clears
 * `claimingAllowed`; FAILURE for no window, an expired one or a wrong secret (compared in
 * constant time; the window closes after `maxSecretFailures`); CLAIMED when the device is owned.
 * Of concurrent claims exactly one succeeds, the others get CLAIMED. Unknown name: NotFoundError.
 */
export async function claimByName(
  deps: ClaimWindowDeps, owner: AccountRecord, deviceName: unknown, body: unknown,
): Promise<CustomerClaimOutcome> {
  if (owner.role === 'provisioner') throw new ForbiddenError('provisioners do not claim devices: an owner does');
  const name = parseIdentifier('deviceName', deviceName);
  const secretKey = isRecord(body) && typeof body['secretKey'] === 'string' ? body['secretKey'] : '';
  if (isRecord(body) && body['secretKey'] !== undefined && body['secretKey'] !== null && typeof body['secretKey'] !== 'string') {
    throw new InvalidInputError('secretKey: expected a string', 'secretKey');
  }
  const candidates = await deps.ipDevices.findByName(name);
  if (candidates.length === 0) throw new NotFoundError(`no device named ${name}`);
  const now = deps.clock.now();
  let anyUnowned = false;
  for (const device of candidates) {
    if (device.applicationId !== null) continue;
    anyUnowned = true;
    const window = await deps.ipDevices.getWindow(device.id);
    if (window === null || window.expiresAt.getTime() <= now.getTime()) continue;
    const stored = Buffer.from(deps.vault.open(window.secret, sealContext.claimSecret(device.id))).toString('utf8');
    if (!ownerTokenMatches(secretKey, stored)) {
      await deps.ipDevices.recordWindowFailure(device.id, deps.settings.maxSecretFailures);
      continue;
    }
    const application = await targetApplication(deps, owner, isRecord(body) ? body['applicationId'] : undefined);
    const claimed = await deps.ipDevices.update(device.id, { applicationId: application.id, claimedAt: now, claimingAllowed: null }, {
      expectedVersion: device.version,
      closeWindow: true,
      audit: {
        actor: owner.username, action: 'device.claimed', devEui: null, outcome: 'success', at: now,
        details: { deviceName: device.name, deviceId: device.id, applicationId: application.id, via: 'device-window' },
      },
      events: [{
        type: 'device.claimed', devEui: device.id, applicationId: application.id, ownerId: application.ownerId, at: now,
        data: { deviceName: device.name, via: 'device-window' },
      }],
    });
    // Another claim of this device committed first.
    if (claimed === null) return { outcome: 'CLAIMED' };
    return { outcome: 'SUCCESS', device: claimed };
  }
  // A concurrent claim may have taken the device, and its window with it, since it was read: CLAIMED, not FAILURE.
  if (anyUnowned && (await deps.ipDevices.findByName(name)).every((device) => device.applicationId !== null)) anyUnowned = false;
  const outcome = anyUnowned ? 'FAILURE' : 'CLAIMED';
  await deps.audit.append({
    actor: owner.username, action: 'device.claim_failed', devEui: null, outcome: 'failure', at: now,
    details: { deviceName: name, reason: outcome === 'CLAIMED' ? 'already_claimed' : 'no_window_or_wrong_secret', via: 'device-window' },
  });
  return { outcome };
}

/**
 * Releases a device claimed by name, back to its maker's inventory: only its holder (the owner
 * of its application) or an admin. With `allowClaimingByDefault` off, `claimingAllowed` is set
 * again so the next owner can claim it.
 */
export async function releaseByName(deps: ClaimWindowDeps, actor: AccountRecord, deviceName: unknown): Promise<IpDeviceRecord> {
  const name = parseIdentifier('deviceName', deviceName);
  const candidates = await deps.ipDevices.findByName(name);
  let held: IpDeviceRecord | undefined;
  for (const device of candidates) {
    if (device.applicationId === null) continue;
    const application = await deps.applications.get(device.applicationId);
    if (actor.role === 'admin' || application?.ownerId === actor.id) {
      held = device;
      break;
    }
  }
  if (held === undefined) throw new NotFoundError(`no device named ${name} is claimed by you`);
  const now = deps.clock.now();
  const released = await deps.ipDevices.update(held.id, {
    applicationId: null, claimedAt: null, ...(deps.settings.allowClaimingByDefault ? {} : { claimingAllowed: true }),
  }, {
    expectedVersion: held.version,
    closeWindow: true,
    audit: {
      actor: actor.username, action: 'device.released', devEui: null, outcome: 'success', at: now,
      details: { deviceName: held.name, deviceId: held.id, applicationId: held.applicationId, via: 'device-window' },
    },
    events: [{
      type: 'device.released', devEui: held.id, applicationId: held.applicationId, ownerId: actor.id, at: now,
      data: { deviceName: held.name, via: 'device-window' },
    }],
  });
  if (released === null) throw new ClaimError('not_claimed', 'the device changed while releasing it; try again');
  return released;
}
