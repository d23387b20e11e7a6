import type { DeviceRecord } from '../devices/device.js';
import { generateOwnerToken, parseOwnerToken } from '../devices/owner-token.js';
import { sealContext } from '../keyvault/seal-context.js';
import { InvalidInputError } from '../shared/errors.js';
import { present } from '../shared/validate.js';
import type { ClaimDeps } from './claim-device.js';
import { parseClaimProof } from './claim-proof.js';
import { claimantName, type Claimant } from './claimant.js';
import { ClaimError } from './errors.js';

/** The claim of a device as its holder sees it (TTJS claim status). */
export interface ClaimStatus {
  readonly devEui: string;
  readonly applicationId: string;
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly locked: boolean;
  readonly claimedAt: string | null;
}

/**
 * The device, checked to be claimed and held by `claimant`: the claim client's application,
 * an application the owner account owns, or any (admin).
 */
async function heldDevice(deps: Pick<ClaimDeps, 'devices' | 'applications'>, claimant: Claimant, devEuiInput: unknown, what: 'get status' | 'unclaim'): Promise<DeviceRecord> {
  const { devEui } = parseClaimProof({ devEui: devEuiInput, ownerToken: '' });
  const device = await deps.devices.get(devEui);
  if (device === null) throw new ClaimError('device_not_provisioned', 'Device not provisioned');
  if (device.applicationId === null) throw new ClaimError('not_claimed', 'Device not claimed');
  if (claimant.kind === 'client') {
    if (claimant.peer.applicationId !== device.applicationId) throw new ClaimError('not_holder', `Client not allowed to ${what}`);
    return device;
  }
  if (claimant.account.role === 'admin') return device;
  const application = await deps.applications.get(device.applicationId);
  if (application === null || application.ownerId !== claimant.account.id) {
    // An owner asking about someone else's device learns nothing more than about an unknown one.
    throw new ClaimError('device_not_provisioned', 'Device not provisioned');
  }
  return device;
}

/** The claim status of a device its claimant holds. */
export async function claimStatus(deps: Pick<ClaimDeps, 'devices' | 'applications'>, claimant: Claimant, devEui: unknown): Promise<ClaimStatus> {
  const device = await heldDevice(deps, claimant, devEui, 'get status');
  return {
    devEui: device.devEui,
    applicationId: device.applicationId ?? '',
    homeNetId: device.homeNetId,
    homeNsId: device.homeNsId,
    asId: device.asId,
    locked: device.claimLocked,
    claimedAt: device.claimedAt?.toISOString() ?? null,
  };
}

/** What a release takes: the token to set for the next owner, or none (a new one is generated). */
export interface ReleaseInput {
  /** The claim authentication code the next owner will use (the "set claim authentication code" option). */
  readonly ownerToken?: unknown;
}

/**
 * Releases (unclaims) a device: only its holder or an admin may. The device returns to unclaimed,
 * its activation settings, AS KEK, lock and sessions are cleared, and it gets a new owner token —
 * the one the releasing owner sets, or a generated one — which is returned: only with it can the
 * device be claimed again. One transaction with the audit and outbox events.
 */
export async function releaseDevice(
  deps: ClaimDeps, claimant: Claimant, devEuiInput: unknown, input: ReleaseInput, context: { via: string },
): Promise<{ devEUI: string; ownerToken: string }> {
  const device = await heldDevice(deps, claimant, devEuiInput, 'unclaim');
  if (input.ownerToken !== undefined && !present(input.ownerToken)) {
    throw new InvalidInputError('ownerToken: give the token for the next owner, or leave it out to generate one', 'ownerToken');
  }
  const token = present(input.ownerToken) ? parseOwnerToken(input.ownerToken) : generateOwnerToken(deps.random, deps.ownerTokenLength);
  const now = deps.clock.now();
  const application = await deps.applications.get(device.applicationId ?? '');
  const updated = await deps.devices.update(device.devEui, {
    applicationId: null, claimedAt: null, homeNetId: null, homeNsId: null, asId: null, asKek: null, claimLocked: false,
    ownerToken: deps.vault.seal(Buffer.from(token, 'utf8'), sealContext.ownerToken(device.devEui)),
    ownerTokenValidFrom: null, ownerTokenValidTo: null,
  }, {
    expectedVersion: device.version,
    deleteSessions: true,
    audit: {
      actor: claimantName(claimant), action: 'device.released', devEui: device.devEui, outcome: 'success', at: now,
      details: { applicationId: device.applicationId, via: context.via, codeSetByHolder: present(input.ownerToken) },
    },
    events: [{
      type: 'device.released', devEui: device.devEui, applicationId: device.applicationId, ownerId: application?.ownerId ?? null, at: now,
      data: { via: context.via },
    }],
  });
  if (updated === null) throw new ClaimError('not_claimed', 'the device changed while releasing it; try again');
  return { devEUI: updated.devEui, ownerToken: token };
}
