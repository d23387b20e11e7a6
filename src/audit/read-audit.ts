import { Eui64 } from '../lorawan/index.js';
import { parseField, parseInteger, present } from '../shared/validate.js';
import type { AuditEvent, AuditLog, AuditVerifyResult } from './audit-event.js';

/** An audit event as transports show it: `at` as ISO 8601 text. */
export interface AuditEventView {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly devEui: string | null;
  readonly outcome: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** A page query as a transport received it (validated here). */
export interface AuditQueryInput {
  readonly devEui?: unknown;
  readonly afterSeq?: unknown;
  readonly limit?: unknown;
}

/** The largest page. */
export const AUDIT_PAGE_MAX = 1000;



/** The view of an event. */
export function toAuditEventView(event: AuditEvent): AuditEventView {
  return { ...event, at: event.at.toISOString() };
}

/**
 * A page of events by ascending seq (100 by default, at most 1000), optionally of one device,
 * after a seq; `next` is the `afterSeq` of the next page, null on the last.
 */
export async function listAuditEvents(
  deps: { readonly audit: Pick<AuditLog, 'list'> }, query: AuditQueryInput,
): Promise<{ events: AuditEventView[]; next: number | null }> {
  const limit = present(query.limit) ? parseInteger('limit', query.limit, 1, AUDIT_PAGE_MAX) : 100;
  const afterSeq = present(query.afterSeq) ? parseInteger('afterSeq', query.afterSeq, 0, Number.MAX_SAFE_INTEGER) : undefined;
  const devEui = present(query.devEui) ? parseField('devEui', () => Eui64.fromHex(query.devEui).toHex()) : undefined;
  const page = await deps.audit.list({
    limit: limit + 1,
    ...(afterSeq !== undefined ? { afterSeq } : {}),
    ...(devEui !== undefined ? { devEui } : {}),
  });
  const events = page.slice(0, limit).map(toAuditEventView);
  return { events, next: page.length > limit ? (events[events.length - 1]?.seq ?? null) : null };
}

/** Recomputes the whole chain. */
export function verifyAuditLog(deps: { readonly audit: Pick<AuditLog, 'verify'> }): Promise<AuditVerifyResult> {
  return deps.audit.verify();
}
