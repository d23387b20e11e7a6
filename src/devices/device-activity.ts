import type { AccountRecord } from '../accounts/account.js';
import type { AuditEvent, AuditLog } from '../audit/audit-event.js';
import { parseInteger, present } from '../shared/validate.js';
import { resolveDevice, type DeviceAccessDeps, type DeviceRelation } from './device-access.js';

/** What reading a device's activity needs. */
export interface DeviceActivityDeps extends DeviceAccessDeps {
  readonly audit: Pick<AuditLog, 'list'>;
}

/** One audit event about a device, as its viewer may see it. */
export interface DeviceActivityEvent {
  readonly seq: number;
  readonly at: string;
  /** The account, `system` or peer that acted; `another account` when it was not the viewer (for non-admins). */
  readonly actor: string;
  readonly action: string;
  readonly outcome: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A device's session count and a page of its audit trail. */
export interface DeviceActivity {
  readonly devEUI: string;
  /** Session keys Deed keeps for the device (one per accepted join, the newest few). */
  readonly sessions: number;
  readonly events: DeviceActivityEvent[];
  /** `afterSeq` of the next page; null on the last. */
  readonly next: number | null;
}

/** Details every viewer of the device may read of someone else's event: what happened, never who or from where. */
const SHARED_DETAILS = ['reason', 'via', 'format', 'settingsOnly', 'locked', 'codeRegenerated'];

/**
 * The device's session count and its audit trail by ascending seq (100 events a page, at most
 * 1000), for whoever may see the device: an admin reads every event as recorded; the maker and
 * the holder read their own events whole and other accounts' with the actor and identifying
 * details left out; a holder reads only the events since the device was claimed into its
 * application (not the previous owners').
 */
export async function deviceActivity(
  deps: DeviceActivityDeps, actor: AccountRecord, devEuiInput: unknown, query: { afterSeq?: unknown; limit?: unknown } = {},
): Promise<DeviceActivity> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  const limit = present(query.limit) ? parseInteger('limit', query.limit, 1, 1000) : 100;
  let afterSeq = present(query.afterSeq) ? parseInteger('afterSeq', query.afterSeq, 0, Number.MAX_SAFE_INTEGER) : 0;
  const since = relation === 'holder' ? device.claimedAt : null;
  const events: DeviceActivityEvent[] = [];
  let next: number | null = null;
  // Skipping a holder's older events may take several reads; each is one indexed page.
  for (;;) {
    const page = await deps.audit.list({ devEui: device.devEui, afterSeq, limit: limit + 1 });
    let i = 0;
    for (; i < page.length && events.length < limit; i++) {
      const event = page[i] as AuditEvent;
      afterSeq = event.seq;
      if (since === null || event.at.getTime() >= since.getTime()) events.push(visible(event, actor, relation));
    }
    if (events.length === limit) {
      next = i < page.length || page.length > limit ? afterSeq : null;
      break;
    }
    if (page.length <= limit) break;
  }
  return { devEUI: device.devEui, sessions: await deps.devices.countSessions(device.devEui), events, next };
}

function visible(event: AuditEvent, viewer: AccountRecord, relation: DeviceRelation): DeviceActivityEvent {
  const own = relation === 'admin' || event.actor === viewer.username || event.actor === 'system';
  const details = own ? event.details
    : Object.fromEntries(Object.entries(event.details).filter(([key]) => SHARED_DETAILS.includes(key)));
  return {
    seq: event.seq, at: event.at.toISOString(), actor: own ? event.actor : 'another account',
    action: event.action, outcome: event.outcome, details,
  };
}
