import { type Kysely, type SelectQueryBuilder, type UpdateObject, sql } from 'kysely';
import type {
  DeviceFilter, DevicePatch, DeviceRecord, DeviceScope, DeviceStore, InsertOutcome, JoinCommit, JoinDeviceRecord, NewDevice, SessionRecord,
  UpdateOptions,
} from '../devices/device.js';
import { clearAttemptsQuery } from './attempt-repository.js';
import { appendAuditEvents } from './audit-repository.js';
import { appendOutboxEvents, OUTBOX_INSERT, outboxRows } from './outbox-repository.js';
import type { DatabaseHandle, SqlDialect } from './database-handle.js';
import { deviceFromRow, JOIN_DEVICE_COLUMNS, joinDeviceFromRow, newDeviceRow, normalizeHex, otherSessionsToKeep, serializeNonces, sessionFromRow, sessionRow } from './device-rows.js';
import { type Database, type DeviceRow, type NewDeviceRow, toDbBoolean, toDbTimestamp } from './schema.js';
import { createSqliteImportPath } from './sqlite-import-path.js';
import { createSqliteJoinPath } from './sqlite-join-path.js';
import { appendAuditEventsSync } from './sqlite-audit-append.js';
import { sqliteSyncTransaction } from './sqlite-sync-transaction.js';
import { commitJoinPostgres } from './postgres-join-path.js';
import { translateUniqueViolation } from './unique-violation.js';
import { writeTransaction } from './write-transaction.js';

/** See {@link DeviceRepositoryOptions.joinPath}. */
export type JoinPath = 'native' | 'portable';

/** Options of {@link createDeviceRepository}. */
export interface DeviceRepositoryOptions {
  /** Source of `createdAt` / `updatedAt`; the system clock by default. */
  readonly now?: () => Date;
  /**
   * How the join hot path runs. `native` (the default): on SQLite, `get` and `commitJoin` are
   * prepared better-sqlite3 statements (about 4x faster than through Kysely); on PostgreSQL,
   * `commitJoin` is one statement (one round trip instead of five). `portable`: a Kysely
   * transaction on both, kept for comparison and tested by the same contract.
   */
  readonly joinPath?: JoinPath;
}

/**
 * DeviceStore over Kysely. `commitJoin` is atomic: a conditional UPDATE of the device (version
 * still `expectedVersion`), then the session INSERT and the prune, all or nothing; of concurrent
 * commits against one version exactly one updates a row. On SQLite `get` and `commitJoin` run as
 * synchronous prepared statements, `commitJoin` in one `BEGIN IMMEDIATE` transaction; on
 * PostgreSQL `commitJoin` is a single statement (see `joinPath`).
 */
export function createDeviceRepository(handle: DatabaseHandle, options: DeviceRepositoryOptions = {}): DeviceStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  const native = options.joinPath !== 'portable';
  const fastPath = handle.dialect === 'sqlite' && native ? createSqliteJoinPath(handle, now) : undefined;
  const importPath = handle.dialect === 'sqlite' && native ? createSqliteImportPath(handle, now) : undefined;

  return {
    async create(device: NewDevice): Promise<DeviceRecord> {
      const row = newDeviceRow(device, now());
      const created = await translateUniqueViolation('device', { devEui: row.dev_eui }, () =>
        db.insertInto('devices').values(row).returningAll().executeTakeFirstOrThrow(),
      );
      return deviceFromRow(created);
    },

    async get(devEui: string): Promise<DeviceRecord | null> {
      if (fastPath !== undefined) {
        return fastPath.get(devEui);
      }
      const row = await db.selectFrom('devices').selectAll().where('dev_eui', '=', normalizeHex(devEui)).executeTakeFirst();
      return row === undefined ? null : deviceFromRow(row);
    },

    async getForJoin(devEui: string): Promise<JoinDeviceRecord | null> {
      if (fastPath !== undefined) {
        return fastPath.getForJoin(devEui);
      }
      const row = await db.selectFrom('devices').select(JOIN_DEVICE_COLUMNS).where('dev_eui', '=', normalizeHex(devEui)).executeTakeFirst();
      return row === undefined ? null : joinDeviceFromRow(row);
    },

    async getMany(devEuis: readonly string[]): Promise<DeviceRecord[]> {
      const keys = [...new Set(devEuis.map(normalizeHex))];
      const out: DeviceRecord[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const rows = await db.selectFrom('devices').selectAll().where('dev_eui', 'in', keys.slice(i, i + 500)).execute();
        out.push(...rows.map(deviceFromRow));
      }
      return out;
    },

    async getBySecureElements(uniqueIds: readonly string[]): Promise<DeviceRecord[]> {
      const keys = [...new Set(uniqueIds.map((id) => id.toLowerCase()))];
      const out: DeviceRecord[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const rows = await db.selectFrom('devices').selectAll().where('se_unique_id', 'in', keys.slice(i, i + 500)).execute();
        out.push(...rows.map(deviceFromRow));
      }
      return out;
    },

    async list({ limit, after, scope, filter }): Promise<DeviceRecord[]> {
      let query = restrict(db.selectFrom('devices').selectAll(), scope, filter).orderBy('dev_eui').limit(limit);
      if (after !== undefined) {
        query = query.where('dev_eui', '>', normalizeHex(after));
      }
      return (await query.execute()).map(deviceFromRow);
    },

    async count(scope?: DeviceScope, filter?: DeviceFilter): Promise<number> {
      const { n } = await restrict(db.selectFrom('devices'), scope, filter)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n);
    },

    async update(devEui: string, patch: DevicePatch, options: UpdateOptions = {}): Promise<DeviceRecord | null> {
      const at = now();
      const changes: UpdateObject<Database, 'devices'> = {
        ...patchColumns(patch),
        updated_at: toDbTimestamp(at),
        version: (eb) => eb('version', '+', 1),
      };
      let query = db.updateTable('devices').set(changes).where('dev_eui', '=', normalizeHex(devEui));
      if (options.expectedVersion !== undefined) query = query.where('version', '=', options.expectedVersion);
      if (patch.rootKeysExposed !== undefined) {
        // An exposure is recorded once; later exports keep the first time and account.
        const exposure = patch.rootKeysExposed;
        const at = handle.dialect === 'postgres'
          ? sql<string>`coalesce(root_keys_exposed_at, ${toDbTimestamp(exposure.at)}::timestamptz)`
          : sql<string>`coalesce(root_keys_exposed_at, ${toDbTimestamp(exposure.at)})`;
        query = query.set({ root_keys_exposed_at: at, root_keys_exposed_by: sql<string>`coalesce(root_keys_exposed_by, ${exposure.by})` });
      }
      const update = query.returningAll();
      const alone = options.audit === undefined && options.events === undefined && options.deleteSessions !== true
        && options.clearAttempts === undefined;
      if (alone) {
        const row = await update.executeTakeFirst();
        return row === undefined ? null : deviceFromRow(row);
      }
      if (handle.dialect === 'sqlite' && native) {
        // The whole transaction in one go, without an await between its statements.
        const row = await sqliteSyncTransaction(handle, (run) => {
          const [updated] = run.all(update);
          if (updated !== undefined) {
            if (options.deleteSessions === true) run.statement('delete from session_keys where dev_eui = ?').run(updated.dev_eui);
            if (options.audit !== undefined) appendAuditEventsSync(run, [options.audit], now);
            for (const row of outboxRows(options.events ?? [])) run.statement(OUTBOX_INSERT).run(row);
            const clear = options.clearAttempts === undefined ? null : clearAttemptsQuery(db, options.clearAttempts.keys, options.clearAttempts.at);
            if (clear !== null) run.run(clear);
          }
          return updated;
        });
        return row === undefined ? null : deviceFromRow(row);
      }
      return writeTransaction(handle, async (trx) => {
        const row = await trx.executeQuery(update.compile()).then((result) => result.rows[0]);
        if (row !== undefined) {
          if (options.deleteSessions === true) await trx.executeQuery(deleteSessionsQuery(db, row.dev_eui).compile());
          if (options.events !== undefined) await appendOutboxEvents(trx, options.events);
          const clear = options.clearAttempts === undefined ? null : clearAttemptsQuery(db, options.clearAttempts.keys, options.clearAttempts.at);
          if (clear !== null) await trx.executeQuery(clear.compile());
          // Last before COMMIT: on PostgreSQL the append lock serializes every audited write.
          if (options.audit !== undefined) await appendAuditEvents(trx, handle.dialect, [options.audit], now);
        }
        return row === undefined ? null : deviceFromRow(row);
      });
    },

    async finishImport(marker: string, devEuis: readonly string[], fileSha256: string): Promise<void> {
      await db.updateTable('devices').set({ import_file_sha256: fileSha256 }).where('import_file_sha256', '=', marker).execute();
      for (let i = 0; i < devEuis.length; i += 500) {
        await db.updateTable('devices').set({ import_file_sha256: fileSha256 })
          .where('dev_eui', 'in', devEuis.slice(i, i + 500).map(normalizeHex))
          .where('import_file_sha256', 'like', 'pending:%')
          .execute();
      }
    },

    async insertMany(devices: readonly NewDevice[], audit): Promise<InsertOutcome[]> {
      const at = now();
      const rows = devices.map((device) => newDeviceRow(device, at));
      if (importPath !== undefined) return importPath.insertMany(rows, audit);
      return writeTransaction(handle, async (trx) => {
        const outcomes = await insertNewRows(trx, rows);
        const created = outcomes.flatMap((outcome) => (outcome.created ? [outcome.device] : []));
        await appendAuditEvents(trx, handle.dialect, audit(created), now);
        return outcomes;
      });
    },

    async remove(devEui: string): Promise<boolean> {
      const key = normalizeHex(devEui);
      // The foreign key cascades too; deleting sessions first keeps this correct even on a
      // SQLite connection opened elsewhere without `foreign_keys = ON`.
      return writeTransaction(handle, async (trx) => {
        await trx.deleteFrom('session_keys').where('dev_eui', '=', key).execute();
        const result = await trx.deleteFrom('devices').where('dev_eui', '=', key).executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },

    async commitJoin(commit: JoinCommit): Promise<boolean> {
      assertSessionBelongs(commit);
      if (fastPath !== undefined) {
        return fastPath.commitJoin(commit);
      }
      if (handle.dialect === 'postgres' && native) {
        return commitJoinPostgres(handle, commit, now());
      }
      return commitJoinWithKysely(handle, commit, now());
    },

    async getSession(devEui: string, sessionKeyId: string): Promise<SessionRecord | null> {
      const row = await db
        .selectFrom('session_keys')
        .selectAll()
        .where('dev_eui', '=', normalizeHex(devEui))
        .where('session_key_id', '=', normalizeHex(sessionKeyId))
        .executeTakeFirst();
      return row === undefined ? null : sessionFromRow(row);
    },

    async countSessions(devEui: string): Promise<number> {
      const { n } = await db
        .selectFrom('session_keys')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('dev_eui', '=', normalizeHex(devEui))
        .executeTakeFirstOrThrow();
      return Number(n);
    },
  };
}

/** Rows per multi-row INSERT: 37 parameters each, under SQLite's 32,766 and PostgreSQL's 65,535. */
const INSERT_CHUNK = 500;

/**
 * Inserts `rows` in order with multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING dev_eui`
 * statements; a row whose DevEUI or secure element exists (in the database or earlier in
 * `rows`) is not created. A statement never holds two rows with one DevEUI or secure element,
 * so the DevEUIs returned name the rows created, and the first of two such rows wins. The
 * created records are built from the rows written (every column is in them), not read back.
 */
async function insertNewRows(trx: Kysely<Database>, rows: readonly NewDeviceRow[]): Promise<InsertOutcome[]> {
  const outcomes: InsertOutcome[] = [];
  let chunk: NewDeviceRow[] = [];
  const keys = new Set<string>();
  const flush = async () => {
    if (chunk.length === 0) return;
    const inserted = await trx.insertInto('devices').values(chunk).onConflict((oc) => oc.doNothing()).returning('dev_eui').execute();
    const created = new Set(inserted.map((r) => r.dev_eui));
    for (const row of chunk) {
      outcomes.push(created.has(row.dev_eui)
        ? { devEui: row.dev_eui, created: true, device: deviceFromRow(row as DeviceRow) }
        : { devEui: row.dev_eui, created: false });
    }
    chunk = [];
    keys.clear();
  };
  for (const row of rows) {
    const se = row.se_unique_id ?? null;
    if (chunk.length >= INSERT_CHUNK || keys.has(`d:${row.dev_eui}`) || (se !== null && keys.has(`s:${se}`))) await flush();
    chunk.push(row);
    keys.add(`d:${row.dev_eui}`);
    if (se !== null) keys.add(`s:${se}`);
  }
  await flush();
  return outcomes;
}

/** Narrows a devices query to a scope (whose devices) and a filter (state, search). */
function restrict<Q extends SelectQueryBuilder<Database, 'devices', object>>(query: Q, scope?: DeviceScope, filter?: DeviceFilter): Q {
  let q = query as SelectQueryBuilder<Database, 'devices', object>;
  if (scope?.kind === 'provisioner') q = q.where('provisioner_id', '=', scope.accountId);
  if (scope?.kind === 'owner') {
    q = q.where('application_id', 'in', (eb) => eb.selectFrom('applications').select('id').where('owner_id', '=', scope.accountId));
  }
  switch (filter?.state) {
    case 'unclaimed': q = q.where('application_id', 'is', null); break;
    case 'claimed': q = q.where('application_id', 'is not', null); break;
    case 'exposed': q = q.where('root_keys_exposed_at', 'is not', null); break;
    case 'keys_missing': q = q.where('app_key', 'is', null).where('nwk_key', 'is', null); break;
    default: break;
  }
  if (filter?.search !== undefined && filter.search !== '') {
    const text = filter.search.replace(/[\\%_]/g, (c) => `\\${c}`);
    q = q.where((eb) => eb.or([
      eb('dev_eui', 'like', sql<string>`${`${text.toUpperCase()}%`} escape '\\'`),
      // Case-insensitive (ASCII at least) on both dialects: SQLite's LIKE already is, PostgreSQL's is not.
      eb(eb.fn('lower', [eb.ref('name')]), 'like', sql<string>`lower(cast(${`%${text}%`} as text)) escape '\\'`),
    ]));
  }
  return q as Q;
}

function patchColumns(patch: DevicePatch): UpdateObject<Database, 'devices'> {
  return {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.appKey !== undefined && { app_key: patch.appKey }),
    ...(patch.nwkKey !== undefined && { nwk_key: patch.nwkKey }),
    ...(patch.ownerToken !== undefined && { owner_token: patch.ownerToken }),
    ...(patch.ownerTokenValidFrom !== undefined && { owner_token_valid_from: patch.ownerTokenValidFrom === null ? null : toDbTimestamp(patch.ownerTokenValidFrom) }),
    ...(patch.ownerTokenValidTo !== undefined && { owner_token_valid_to: patch.ownerTokenValidTo === null ? null : toDbTimestamp(patch.ownerTokenValidTo) }),
    ...(patch.claimLocked !== undefined && { claim_locked: toDbBoolean(patch.claimLocked) }),
    ...(patch.applicationId !== undefined && { application_id: patch.applicationId }),
    ...(patch.asKek !== undefined && { as_kek_label: patch.asKek?.label ?? null, as_kek: patch.asKek?.key ?? null }),
    ...(patch.claimedAt !== undefined && { claimed_at: patch.claimedAt === null ? null : toDbTimestamp(patch.claimedAt) }),
    ...(patch.homeNetId !== undefined && { home_net_id: patch.homeNetId }),
    ...(patch.homeNsId !== undefined && { home_ns_id: patch.homeNsId }),
    ...(patch.asId !== undefined && { as_id: patch.asId }),
    ...(patch.macVersion !== undefined && { mac_version: patch.macVersion }),
    ...(patch.resetsJoinNonces !== undefined && { resets_join_nonces: toDbBoolean(patch.resetsJoinNonces) }),
  };
}

function deleteSessionsQuery(db: Kysely<Database>, devEui: string) {
  return db.deleteFrom('session_keys').where('dev_eui', '=', devEui);
}

function assertSessionBelongs(commit: JoinCommit): void {
  if (normalizeHex(commit.session.devEui) !== normalizeHex(commit.devEui)) {
    throw new Error('commitJoin: the session belongs to another device');
  }
}

/** The portable commitJoin: one write transaction of UPDATE-if-version, INSERT, prune. */
async function commitJoinWithKysely(handle: DatabaseHandle, commit: JoinCommit, at: Date): Promise<boolean> {
  const devEui = normalizeHex(commit.devEui);
  const session = sessionRow(commit.session);
  return writeTransaction(handle, async (trx) => {
    const updated = await trx
      .updateTable('devices')
      .set({
        last_dev_nonce: commit.lastDevNonce,
        used_dev_nonces: serializeNonces(commit.usedDevNonces),
        last_join_nonce: commit.lastJoinNonce,
        version: (eb) => eb('version', '+', 1),
        updated_at: toDbTimestamp(at),
      })
      .where('dev_eui', '=', devEui)
      .where('version', '=', commit.expectedVersion)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) {
      return false;
    }
    await translateUniqueViolation('session', { devEui, sessionKeyId: session.session_key_id }, () =>
      trx.insertInto('session_keys').values(session).execute(),
    );
    await pruneSessions(trx, handle.dialect, devEui, session.session_key_id, commit.keepSessions);
    return true;
  });
}

/**
 * Deletes the device's sessions beyond the newest `keep` (by created_at, then session key id,
 * both descending). The session just inserted always stays, even if the clock stepped back.
 */
async function pruneSessions(
  trx: Kysely<Database>,
  dialect: SqlDialect,
  devEui: string,
  keptId: string,
  keep: number,
): Promise<void> {
  const others = otherSessionsToKeep(keep);
  const beyond = trx
    .selectFrom('session_keys')
    .select('session_key_id')
    .where('dev_eui', '=', devEui)
    .where('session_key_id', '<>', keptId)
    .orderBy('created_at', 'desc')
    .orderBy('session_key_id', 'desc');
  await trx
    .deleteFrom('session_keys')
    .where('dev_eui', '=', devEui)
    // SQLite accepts OFFSET only after a LIMIT; -1 means no limit there.
    .where('session_key_id', 'in', dialect === 'sqlite' ? beyond.limit(-1).offset(others) : beyond.offset(others))
    .execute();
}
