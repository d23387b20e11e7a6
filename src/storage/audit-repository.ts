import { type Kysely, sql } from 'kysely';
import { checkAuditDetails } from '../audit/audit-details.js';
import type { AuditDetails, AuditEvent, AuditListQuery, AuditLog, AuditVerifyResult, NewAuditEvent } from '../audit/audit-event.js';
import { CHAIN_START, chainEvent, verifyChain, type ChainPosition } from '../audit/hash-chain.js';
import type { DatabaseHandle, SqlDialect } from './database-handle.js';
import { type AuditEventRow, type Database, fromDbTimestamp, toDbTimestamp } from './schema.js';
import { writeTransaction } from './write-transaction.js';

/** Options of {@link createAuditRepository}. */
export interface AuditRepositoryOptions {
  /** Source of `at` when an event has none; the system clock by default. */
  readonly now?: () => Date;
  /** Events read per query by `verify`; 1000 by default. */
  readonly verifyBatchSize?: number;
}

/**
 * Key of the PostgreSQL transaction-scoped advisory lock that serializes appends ("deedau" in
 * ASCII, an arbitrary constant distinct from the migration lock).
 */
const POSTGRES_AUDIT_LOCK = 0x646565646175;

/**
 * AuditLog over Kysely (both dialects). An append reads the chain head and inserts the next
 * event in one write transaction that holds the append lock: `BEGIN IMMEDIATE` on SQLite (the
 * database write lock), `pg_advisory_xact_lock` on PostgreSQL (released at commit), so appends
 * from any number of processes form one gap-free chain.
 */
export function createAuditRepository(handle: DatabaseHandle, options: AuditRepositoryOptions = {}): AuditLog {
  const now = options.now ?? (() => new Date());
  const batchSize = options.verifyBatchSize ?? 1000;
  const { db } = handle;

  return {
    async append(event: NewAuditEvent): Promise<AuditEvent> {
      checkAuditDetails(event.details);
      const [appended] = await writeTransaction(handle, (trx) => appendAuditEvents(trx, handle.dialect, [event], now));
      if (appended === undefined) throw new Error('audit append returned nothing');
      return appended;
    },

    async list(query: AuditListQuery): Promise<AuditEvent[]> {
      let select = db.selectFrom('audit_events').selectAll();
      if (query.devEui !== undefined) select = select.where('dev_eui', '=', query.devEui);
      if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
      const rows = await select.orderBy('seq').limit(query.limit).execute();
      return rows.map(auditEventFromRow);
    },

    async verify(): Promise<AuditVerifyResult> {
      let last: ChainPosition = CHAIN_START;
      for (;;) {
        const rows = await db
          .selectFrom('audit_events')
          .selectAll()
          .where('seq', '>', last.seq)
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        if (rows.length === 0) return { ok: true, count: last.seq, headHash: last.hash };
        const events: AuditEvent[] = [];
        let unparsable: number | undefined;
        for (const row of rows) {
          const event = parseRow(row);
          if (event === null) {
            unparsable = Number(row.seq);
            break;
          }
          events.push(event);
        }
        // The events before an unparsable row are checked first: a gap there comes first.
        const check = verifyChain(events, last);
        if (!check.ok) return { ok: false, firstBadSeq: check.firstBadSeq, reason: check.reason };
        if (unparsable !== undefined) {
          const expected = check.last.seq + 1;
          return unparsable === expected
            ? { ok: false, firstBadSeq: unparsable, reason: 'the row does not parse: it was changed' }
            : { ok: false, firstBadSeq: expected, reason: `expected seq ${expected}, found ${unparsable}: an event is missing or out of order` };
        }
        last = check.last;
      }
    },
  };
}

/**
 * Appends `events` to the chain inside the caller's write transaction `trx` (which must be a
 * write transaction: `BEGIN IMMEDIATE` on SQLite). Takes the append lock on PostgreSQL. Lets
 * another repository record audit events atomically with its own change.
 */
export async function appendAuditEvents(
  trx: Kysely<Database>,
  dialect: SqlDialect,
  events: readonly NewAuditEvent[],
  now: () => Date,
): Promise<AuditEvent[]> {
  if (events.length === 0) return [];
  if (dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(${POSTGRES_AUDIT_LOCK})`.execute(trx);
  }
  const head = await trx.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let previous: ChainPosition | null = head === undefined ? null : { seq: Number(head.seq), hash: head.hash };
  const appended: AuditEvent[] = [];
  const rows = [];
  for (const event of events) {
    const details = checkAuditDetails(event.details);
    const next = chainEvent(previous, {
      at: event.at ?? now(), actor: event.actor, action: event.action, devEui: event.devEui, outcome: event.outcome, details,
    });
    rows.push({
      seq: next.seq,
      at: toDbTimestamp(next.at),
      actor: next.actor,
      action: next.action,
      dev_eui: next.devEui,
      outcome: next.outcome,
      details: JSON.stringify(next.details),
      prev_hash: next.prevHash,
      hash: next.hash,
    });
    appended.push(next);
    previous = { seq: next.seq, hash: next.hash };
  }
  // Bounded statements: SQLite allows 32766 parameters, 9 per row.
  for (let i = 0; i < rows.length; i += 500) {
    await trx.insertInto('audit_events').values(rows.slice(i, i + 500)).execute();
  }
  return appended;
}

function parseRow(row: AuditEventRow): AuditEvent | null {
  try {
    return auditEventFromRow(row);
  } catch {
    return null;
  }
}

function auditEventFromRow(row: AuditEventRow): AuditEvent {
  const details: unknown = JSON.parse(row.details);
  if (details === null || typeof details !== 'object' || Array.isArray(details)) throw new Error('audit details are not an object');
  return {
    seq: Number(row.seq),
    at: fromDbTimestamp(row.at),
    actor: row.actor,
    action: row.action,
    devEui: row.dev_eui,
    outcome: row.outcome,
    details: details as AuditDetails,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
