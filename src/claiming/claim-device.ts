import type { ApplicationRecord, ApplicationStore } from '../applications/application.js';
import type { AuditRecorder, NewAuditEvent } from '../audit/audit-event.js';
import type { DevicePatch, DeviceRecord, DeviceStore, Sealed } from '../devices/device.js';
import type { NewDeviceEvent } from '../devices/device-event.js';
import { toDeviceView, type DeviceView } from '../devices/device-view.js';
import { generateOwnerToken, ownerTokenMatches, ownerTokenValidAt } from '../devices/owner-token.js';
import { sealContext } from '../keyvault/seal-context.js';
import { parseKek } from '../keyvault/kek.js';
import { Eui64, NetId } from '../lorawan/index.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { isRecord, parseField, parseIdentifier, present } from '../shared/validate.js';
import { attemptKeys, type AttemptLimiter } from './attempt-limiter.js';
import { parseClaimProof, type ClaimProof } from './claim-proof.js';
import { claimantKey, claimantName, type Claimant } from './claimant.js';
import { ClaimError, rateLimited } from './errors.js';

/** What claiming needs. */
export interface ClaimDeps {
  readonly devices: DeviceStore;
  readonly applications: Pick<ApplicationStore, 'get' | 'listByOwner'>;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed; open(sealed: Sealed, context: string): Uint8Array };
  /** Records refused attempts (successful claims are recorded with the claim itself). */
  readonly audit: AuditRecorder;
  readonly limiter: AttemptLimiter;
  readonly random: { bytes(n: number): Uint8Array };
  readonly clock: { now(): Date };
  readonly ownerTokenLength: number;
}

/** A claim as any transport received it (validated here). */
export interface ClaimInput {
  /** A TR005 QR code text, instead of joinEui/devEui/ownerToken. */
  readonly qr?: unknown;
  readonly joinEui?: unknown;
  readonly devEui?: unknown;
  readonly ownerToken?: unknown;
  /** The application to claim into (an owner's own); a claim client's is fixed at registration. */
  readonly applicationId?: unknown;
  /** Activation settings; the application's defaults fill what is not given. */
  readonly homeNetId?: unknown;
  readonly homeNsId?: unknown;
  readonly asId?: unknown;
  /** `{ label, key }`: the AS KEK that wraps this device's AppSKeys. */
  readonly kek?: unknown;
  /** Nobody else may claim the device while it is locked. Default false. */
  readonly lock?: unknown;
  /** Replace the owner token after the claim, so the printed code is spent. Default true. */
  readonly regenerateOwnerToken?: unknown;
}

/** Where the attempt came from (for the attempt limiter and the audit log). */
export interface ClaimContext {
  /** The client's IP address, when the transport knows it. */
  readonly source?: string | null;
  /** How the claim arrived: `rest`, `ttjs`, `bulk`, `import`, … (recorded in the audit log). */
  readonly via: string;
}

/** A successful claim: the device as its new holder sees it (with the current owner token). */
export interface ClaimResult {
  readonly device: DeviceView;
  /** False when the claimant already held the device and only updated its settings. */
  readonly transferred: boolean;
}

const FAILED = 'claim failed with given owner token';

function optionalBool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new InvalidInputError(`${field}: expected true or false`, field);
  return value;
}

function netId(value: unknown): string {
  return parseField('homeNetId', () => NetId.fromHex(value).toHex());
}

function nsId(value: unknown): string {
  return parseField('homeNsId', () => Eui64.fromHex(value).toHex());
}

/** The KEK a claim sets: `{ label, key }` with a 16/24/32-byte key in hex. */
function parseClaimKek(value: unknown): { label: string; key: Uint8Array } | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new InvalidInputError('kek: expected { "label": "…", "key": "<32, 48 or 64 hex digits>" }', 'kek');
  return { label: parseIdentifier('kek.label', value['label']), key: parseKek(value['key'], 'kek.key') };
}

/** The application a claim lands in, checked against the claimant. */
export async function claimTarget(deps: Pick<ClaimDeps, 'applications'>, claimant: Claimant, applicationId: unknown): Promise<ApplicationRecord> {
  if (claimant.kind === 'client') {
    if (claimant.peer.applicationId === null) {
      throw new ForbiddenError(`claim client ${claimant.peer.id} has no application; register it with "deed peer add --as-id … --application ID"`);
    }
    const application = await deps.applications.get(claimant.peer.applicationId);
    if (application === null) throw new ForbiddenError(`the application ${claimant.peer.applicationId} of claim client ${claimant.peer.id} no longer exists`);
    return application;
  }
  const { account } = claimant;
  if (account.role === 'provisioner') throw new ForbiddenError('provisioners do not claim devices: an owner claims them into an application');
  if (!present(applicationId)) {
    const mine = await deps.applications.listByOwner(account.id);
    if (mine.length === 1 && mine[0] !== undefined) return mine[0];
    throw new InvalidInputError(mine.length === 0
      ? 'applicationId: you have no application yet; create one ("deed applications add ID") and claim into it'
      : 'applicationId: you have several applications; say which one to claim into', 'applicationId');
  }
  const id = parseIdentifier('applicationId', applicationId);
  const application = await deps.applications.get(id);
  if (application === null || (account.role !== 'admin' && application.ownerId !== account.id)) {
    throw new NotFoundError(`no application ${id} of yours`);
  }
  return application;
}

/**
 * Claims a device into an application: one ownership transfer, atomic. The checks, in order:
 * the claimant is not locked out (a correct token does not bypass a lock-out); the device
 * exists (with that JoinEUI); it is not locked by another holder; the owner token matches
 * (constant time) and is inside its validity window. A claimant that already holds the device
 * only updates its settings. The effect, in one transaction: owner application, activation
 * settings, lock, a new owner token (unless `regenerateOwnerToken: false`), the old sessions
 * deleted (the device must rejoin under its new owner), an audit event, an outbox event, and the
 * attempt limiter's success (the claimant's and the device's failure counts cleared). Of
 * concurrent claims of one device, exactly one wins. Every refusal is audited and counted.
 */
export async function claimDevice(deps: ClaimDeps, claimant: Claimant, input: ClaimInput, context: ClaimContext): Promise<ClaimResult> {
  const { device, transferred } = await claimDeviceRecord(deps, claimant, input, context);
  const token = device.ownerToken === null ? null
    : Buffer.from(deps.vault.open(device.ownerToken, sealContext.ownerToken(device.devEui))).toString('utf8');
  return { device: toDeviceView(device, { ownerToken: token }), transferred };
}

/**
 * {@link claimDevice}, answering with the stored record instead of the holder's view (the owner
 * token stays sealed): for a transport whose answer does not show the device, as The Things Join
 * Server claim API's `201` does not.
 */
export async function claimDeviceRecord(
  deps: ClaimDeps, claimant: Claimant, input: ClaimInput, context: ClaimContext,
): Promise<{ readonly device: DeviceRecord; readonly transferred: boolean }> {
  const proof = parseClaimProof(input);
  const application = await claimTarget(deps, claimant, input.applicationId);
  const lock = optionalBool('lock', input.lock, false);
  const regenerate = optionalBool('regenerateOwnerToken', input.regenerateOwnerToken, true);
  const kek = parseClaimKek(input.kek);
  const homeNetId = present(input.homeNetId) ? netId(input.homeNetId) : application.homeNetId;
  const homeNsId = present(input.homeNsId) ? nsId(input.homeNsId) : application.homeNsId;
  const asId = present(input.asId) ? parseIdentifier('asId', input.asId)
    : claimant.kind === 'client' ? claimant.peer.asId : application.asId;

  const now = deps.clock.now();
  const keys = attemptKeys({ devEui: proof.devEui, claimant: claimantKey(claimant), source: context.source ?? null });
  const refuse = async (reason: string, error: ClaimError, count: boolean): Promise<never> => {
    if (count) await deps.limiter.recordFailure(keys, now);
    await deps.audit.append(failureEvent(claimant, proof, application, reason, context));
    throw error;
  };

  const locked = await deps.limiter.check(keys, now);
  if (locked !== null) return refuse('rate_limited', rateLimited(locked.retryAfterSeconds), false);

  const device = await deps.devices.get(proof.devEui);
  if (device === null || (proof.joinEui !== null && device.joinEui !== proof.joinEui)) {
    return refuse('device_not_provisioned', new ClaimError('device_not_provisioned', 'Device not provisioned'), true);
  }
  const holder = device.applicationId === application.id;
  if (!holder) {
    if (device.applicationId !== null && device.claimLocked) {
      return refuse('claim_locked', new ClaimError('claim_locked', 'Client not allowed to claim: the device is locked by its holder'), false);
    }
    if (!tokenAccepted(deps, device, proof, now)) {
      return refuse('wrong_token', new ClaimError('claim_failed', FAILED), true);
    }
  }

  const newToken = !holder && regenerate ? generateOwnerToken(deps.random, deps.ownerTokenLength) : undefined;
  const patch: DevicePatch = {
    applicationId: application.id,
    homeNetId,
    homeNsId,
    asId,
    claimLocked: lock,
    ...(holder ? {} : { claimedAt: now }),
    ...(kek !== null
      ? { asKek: { label: kek.label, key: deps.vault.seal(kek.key, sealContext.deviceAsKek(device.devEui)) } }
      : holder ? {} : { asKek: null }),
    ...(newToken !== undefined ? { ownerToken: deps.vault.seal(Buffer.from(newToken, 'utf8'), sealContext.ownerToken(device.devEui)) } : {}),
  };
  const audit: NewAuditEvent = {
    actor: claimantName(claimant), action: 'device.claimed', devEui: device.devEui, outcome: 'success', at: now,
    details: {
      applicationId: application.id, via: context.via, locked: lock, codeRegenerated: newToken !== undefined,
      previousApplicationId: device.applicationId, settingsOnly: holder,
    },
  };
  const events: NewDeviceEvent[] = [{
    type: 'device.claimed', devEui: device.devEui, applicationId: application.id, ownerId: application.ownerId, at: now,
    data: { via: context.via, locked: lock, homeNetId, asId, settingsOnly: holder },
  }];
  // The limiter's success (AttemptLimiter.recordSuccess) is part of the claim's transaction.
  const updated = await deps.devices.update(device.devEui, patch, {
    expectedVersion: device.version, audit, events, deleteSessions: !holder, clearAttempts: { keys, at: now },
  });
  if (updated === null) {
    // Another claim (or change) of this device committed first: it won.
    return refuse('concurrent_claim', new ClaimError('claim_failed', FAILED), false);
  }
  return { device: updated, transferred: !holder };
}

function tokenAccepted(deps: Pick<ClaimDeps, 'vault'>, device: DeviceRecord, proof: ClaimProof, now: Date): boolean {
  // Compare against something even when no token is set, so timing says nothing either way.
  const stored = device.ownerToken === null ? null
    : Buffer.from(deps.vault.open(device.ownerToken, sealContext.ownerToken(device.devEui))).toString('utf8');
  const matches = ownerTokenMatches(proof.ownerToken, stored ?? '\u0000');
  const valid = ownerTokenValidAt({ from: device.ownerTokenValidFrom, to: device.ownerTokenValidTo }, now);
  return stored !== null && proof.ownerToken !== '' && matches && valid;
}

function failureEvent(claimant: Claimant, proof: ClaimProof, application: ApplicationRecord, reason: string, context: ClaimContext): NewAuditEvent {
  return {
    actor: claimantName(claimant), action: 'device.claim_failed', devEui: proof.devEui, outcome: 'failure',
    details: { reason, applicationId: application.id, via: context.via, source: context.source ?? null },
  };
}
