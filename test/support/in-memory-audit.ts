import { checkAuditDetails } from '../../src/audit/audit-details.js';
import type { AuditEvent, AuditListQuery, AuditLog, AuditVerifyResult, NewAuditEvent } from '../../src/audit/audit-event.js';
import { chainEvent, verifyChain } from '../../src/audit/hash-chain.js';

/** An in-memory AuditLog with the storage contract's behaviour, for unit tests of use cases. */
export function inMemoryAuditLog(now: () => Date = () => new Date()): AuditLog & { readonly events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    async append(event: NewAuditEvent): Promise<AuditEvent> {
      const details = checkAuditDetails(event.details);
      const head = events[events.length - 1];
      const next = chainEvent(head === undefined ? null : head, {
        at: event.at ?? now(), actor: event.actor, action: event.action, devEui: event.devEui, outcome: event.outcome, details,
      });
      events.push(next);
      return next;
    },
    async list(query: AuditListQuery): Promise<AuditEvent[]> {
      return events
        .filter((e) => (query.devEui === undefined || e.devEui === query.devEui) && (query.afterSeq === undefined || e.seq > query.afterSeq))
        .slice(0, query.limit);
    },
    async verify(): Promise<AuditVerifyResult> {
      const check = verifyChain(events);
      return check.ok ? { ok: true, count: check.last.seq, headHash: check.last.hash } : check;
    },
  };
}
