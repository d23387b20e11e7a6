import { checkAuditDetails } from '../audit/audit-details.js';
import type { AuditEvent, NewAuditEvent } from '../audit/audit-event.js';
import { chainEvent, type ChainPosition } from '../audit/hash-chain.js';
import { toDbTimestamp } from './schema.js';
import type { SqliteSyncRunner } from './sqlite-sync-transaction.js';

const HEAD = 'select seq, hash from audit_events order by seq desc limit 1';
const INSERT = `insert into audit_events (seq, at, actor, action, dev_eui, outcome, details, prev_hash, hash)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * `appendAuditEvents` for a synchronous SQLite transaction ({@link SqliteSyncRunner}, inside
 * `BEGIN IMMEDIATE`, which is the append lock): reads the chain head and inserts the next events,
 * the same rows as the asynchronous append writes.
 */
export function appendAuditEventsSync(
  run: SqliteSyncRunner,
  events: readonly NewAuditEvent[],
  now: () => Date,
): AuditEvent[] {
  if (events.length === 0) return [];
  const head = run.statement(HEAD).get() as { seq: number | bigint; hash: string } | undefined;
  let previous: ChainPosition | null = head === undefined ? null : { seq: Number(head.seq), hash: head.hash };
  const appended: AuditEvent[] = [];
  for (const event of events) {
    const details = checkAuditDetails(event.details);
    const next = chainEvent(previous, {
      at: event.at ?? now(), actor: event.actor, action: event.action, devEui: event.devEui, outcome: event.outcome, details,
    });
    run.statement(INSERT).run(
      next.seq, toDbTimestamp(next.at), next.actor, next.action, next.devEui, next.outcome, JSON.stringify(next.details), next.prevHash, next.hash,
    );
    appended.push(next);
    previous = { seq: next.seq, hash: next.hash };
  }
  return appended;
}
