import type BetterSqlite3 from 'better-sqlite3';
import type { NewAuditEvent } from '../audit/audit-event.js';
import type { DeviceRecord, InsertOutcome } from '../devices/device.js';
import { checkAuditDetails } from '../audit/audit-details.js';
import { chainEvent, type ChainPosition } from '../audit/hash-chain.js';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';
import { deviceFromRow } from './device-rows.js';
import { type DeviceRow, type NewDeviceRow, toDbTimestamp } from './schema.js';

/** Bulk import on SQLite: `insertMany` of the device store. */
export interface SqliteImportPath {
  insertMany(rows: readonly NewDeviceRow[], audit: (created: readonly DeviceRecord[]) => readonly NewAuditEvent[]): Promise<InsertOutcome[]>;
}

/** `columns`, checked at compile time to name every column of a new `devices` row. */
function allDeviceColumns<const C extends readonly (keyof NewDeviceRow)[]>(
  columns: C & ([Exclude<keyof NewDeviceRow, C[number]>] extends [never] ? unknown : { missing: Exclude<keyof NewDeviceRow, C[number]> }),
): C {
  return columns;
}

/** Every column of a new `devices` row (see newDeviceRow). */
const DEVICE_COLUMNS = allDeviceColumns([
  'dev_eui', 'join_eui', 'mac_version', 'app_key', 'nwk_key', 'home_net_id', 'home_ns_id', 'as_id', 'resets_join_nonces',
  'last_dev_nonce', 'used_dev_nonces', 'last_join_nonce', 'version', 'created_at', 'updated_at', 'name', 'vendor_id',
  'vendor_profile_id', 'se_unique_id', 'se_model', 'se_part_number', 'se_signer_kid', 'se_generation', 'import_format',
  'import_file_sha256', 'imported_by', 'provisioner_id', 'application_id', 'owner_token', 'owner_token_valid_from',
  'owner_token_valid_to', 'claim_locked', 'root_keys_exposed_at', 'root_keys_exposed_by', 'as_kek_label', 'as_kek', 'claimed_at',
]);

interface Statements {
  readonly insertDevice: BetterSqlite3.Statement;
  readonly auditHead: BetterSqlite3.Statement<[], { seq: number; hash: string }>;
  readonly insertAudit: BetterSqlite3.Statement;
  /** The whole batch in one `BEGIN IMMEDIATE` transaction, rolled back if anything throws. */
  readonly insertBatch: BetterSqlite3.Transaction<(rows: readonly NewDeviceRow[], audit: (created: readonly DeviceRecord[]) => readonly NewAuditEvent[]) => InsertOutcome[]>;
}

/**
 * `insertMany` as prepared better-sqlite3 statements, run synchronously under Kysely's connection
 * lock (as the join path does): Kysely's SQLite driver would prepare `INSERT … RETURNING *` anew
 * for every device. One `BEGIN IMMEDIATE` transaction per batch holds the device inserts
 * (`ON CONFLICT DO NOTHING`: a device whose DevEUI or secure element exists is reported not
 * created) and the audit events of the devices created, appended to the chain; it is rolled back
 * as a whole when anything throws, the audit callback included. The created records are built
 * from the rows written, not read back. Statements are prepared on first use (after migration).
 */
export function createSqliteImportPath(handle: SqliteHandle, now: () => Date): SqliteImportPath {
  let statements: Statements | undefined;
  return {
    insertMany(rows, audit) {
      return withSqliteConnection(handle, (sqlite) => {
        statements ??= prepare(sqlite, now);
        return statements.insertBatch.immediate(rows, audit);
      });
    },
  };
}

function prepare(sqlite: BetterSqlite3.Database, now: () => Date): Statements {
  const insertDevice = sqlite.prepare(
    `insert into devices (${DEVICE_COLUMNS.join(', ')}) values (${DEVICE_COLUMNS.map((c) => `@${c}`).join(', ')}) on conflict do nothing`,
  );
  const auditHead = sqlite.prepare<[], { seq: number; hash: string }>('select seq, hash from audit_events order by seq desc limit 1');
  const insertAudit = sqlite.prepare(
    `insert into audit_events (seq, at, actor, action, dev_eui, outcome, details, prev_hash, hash)
     values (@seq, @at, @actor, @action, @dev_eui, @outcome, @details, @prev_hash, @hash)`,
  );
  const insertBatch = sqlite.transaction((rows: readonly NewDeviceRow[], audit: (created: readonly DeviceRecord[]) => readonly NewAuditEvent[]) => {
    const outcomes: InsertOutcome[] = [];
    const created: DeviceRecord[] = [];
    for (const row of rows) {
      if (insertDevice.run(row).changes === 0) {
        outcomes.push({ devEui: row.dev_eui, created: false });
      } else {
        // Every column is in the row (newDeviceRow), so the record is what a SELECT would return.
        const device = deviceFromRow(row as DeviceRow);
        created.push(device);
        outcomes.push({ devEui: row.dev_eui, created: true, device });
      }
    }
    const events = audit(created);
    if (events.length > 0) {
      // As appendAuditEvents does, under the write lock this transaction holds.
      const head = auditHead.get();
      let previous: ChainPosition | null = head === undefined ? null : { seq: Number(head.seq), hash: head.hash };
      for (const event of events) {
        const details = checkAuditDetails(event.details);
        const next = chainEvent(previous, {
          at: event.at ?? now(), actor: event.actor, action: event.action, devEui: event.devEui, outcome: event.outcome, details,
        });
        insertAudit.run({
          seq: next.seq, at: toDbTimestamp(next.at), actor: next.actor, action: next.action, dev_eui: next.devEui,
          outcome: next.outcome, details: JSON.stringify(next.details), prev_hash: next.prevHash, hash: next.hash,
        });
        previous = { seq: next.seq, hash: next.hash };
      }
    }
    return outcomes;
  });
  return { insertDevice, auditHead, insertAudit, insertBatch };
}
