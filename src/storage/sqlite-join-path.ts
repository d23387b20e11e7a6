import type BetterSqlite3 from 'better-sqlite3';
import type { DeviceRecord, JoinCommit, JoinDeviceRecord } from '../devices/device.js';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';
import { createSqliteGroupCommit, type SqliteGroupCommitOptions } from './sqlite-group-commit.js';
import { deviceFromRow, JOIN_DEVICE_COLUMNS, joinDeviceFromRow, type JoinDeviceRow, normalizeHex, otherSessionsToKeep, serializeNonces, sessionRow } from './device-rows.js';
import { type DeviceRow, type NewSessionRow, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** The join hot path on SQLite: reading a device (whole, or what a join needs of it) and committing a join. */
export interface SqliteJoinPath {
  get(devEui: string): Promise<DeviceRecord | null>;
  getForJoin(devEui: string): Promise<JoinDeviceRecord | null>;
  commitJoin(commit: JoinCommit): Promise<boolean>;
}

/** Tuning of {@link createSqliteJoinPath} (its group commit); the defaults suit production. */
export type SqliteJoinPathOptions = SqliteGroupCommitOptions;

/** The three statements of one join's commit. */
interface JoinStatements {
  readonly updateState: BetterSqlite3.Statement;
  readonly insertSession: BetterSqlite3.Statement;
  readonly pruneSessions: BetterSqlite3.Statement;
}

interface Statements extends JoinStatements {
  readonly selectDevice: BetterSqlite3.Statement<[string], DeviceRow>;
  readonly selectJoinDevice: BetterSqlite3.Statement<[string], JoinDeviceRow>;
}

interface CommitParams {
  readonly devEui: string;
  readonly expectedVersion: number;
  readonly lastDevNonce: number | null;
  readonly usedDevNonces: string;
  readonly lastJoinNonce: number;
  readonly updatedAt: string;
  readonly session: NewSessionRow;
  readonly others: number;
}

/**
 * Prepared better-sqlite3 statements for `get`, `getForJoin` and `commitJoin`, run synchronously under
 * Kysely's connection lock (Kysely's SQLite driver hops through several promises per query).
 * Statements are prepared on first use (after migration).
 *
 * Group commit (`sqlite-group-commit.ts`): the joins committed during one turn of the event loop
 * are written in ONE `BEGIN IMMEDIATE … COMMIT`, right after the turn. Each join still runs its
 * own compare-and-set (`UPDATE … WHERE version = expected`), so of racing duplicates exactly one
 * wins, in this process or across processes, and a join whose UPDATE matches nothing writes
 * nothing. A batch that throws (say a duplicate session key id) is rolled back as a whole and its
 * joins are committed again one transaction each, so only the guilty join fails. While another
 * connection (another process) holds the write lock, the batch is retried on a later turn
 * instead of blocking the event loop in SQLite's busy handler.
 */
export function createSqliteJoinPath(handle: SqliteHandle, now: () => Date, options: SqliteJoinPathOptions = {}): SqliteJoinPath {
  let statements: Statements | undefined;
  const prepared = (): Statements => (statements ??= prepare(handle.sqlite));
  const commit = createSqliteGroupCommit(handle, (_sqlite, params: CommitParams) => commitOne(prepared(), params), options);

  return {
    get(devEui) {
      const key = normalizeHex(devEui);
      return withSqliteConnection(handle, () => {
        const row = prepared().selectDevice.get(key);
        return row === undefined ? null : deviceFromRow(row);
      });
    },

    getForJoin(devEui) {
      const key = normalizeHex(devEui);
      return withSqliteConnection(handle, () => {
        const row = prepared().selectJoinDevice.get(key);
        return row === undefined ? null : joinDeviceFromRow(row);
      });
    },

    commitJoin(join) {
      const session = sessionRow(join.session);
      const params: CommitParams = {
        devEui: normalizeHex(join.devEui),
        expectedVersion: join.expectedVersion,
        lastDevNonce: join.lastDevNonce,
        usedDevNonces: serializeNonces(join.usedDevNonces),
        lastJoinNonce: join.lastJoinNonce,
        updatedAt: toDbTimestamp(now()),
        session,
        others: otherSessionsToKeep(join.keepSessions),
      };
      return translateUniqueViolation('session', { devEui: params.devEui, sessionKeyId: session.session_key_id }, () => commit(params));
    },
  };
}

/** The compare-and-set of one join, its session insert and prune; false when the version moved on. */
function commitOne(s: JoinStatements, params: CommitParams): boolean {
  const { changes } = s.updateState.run({
    devEui: params.devEui,
    expectedVersion: params.expectedVersion,
    lastDevNonce: params.lastDevNonce,
    usedDevNonces: params.usedDevNonces,
    lastJoinNonce: params.lastJoinNonce,
    updatedAt: params.updatedAt,
  });
  if (changes === 0) return false;
  s.insertSession.run(params.session);
  s.pruneSessions.run({ devEui: params.devEui, keptId: params.session.session_key_id, others: params.others });
  return true;
}

function prepare(sqlite: BetterSqlite3.Database): Statements {
  const selectDevice = sqlite.prepare<[string], DeviceRow>('select * from devices where dev_eui = ?');
  const selectJoinDevice = sqlite.prepare<[string], JoinDeviceRow>(`select ${JOIN_DEVICE_COLUMNS.join(', ')} from devices where dev_eui = ?`);
  const updateState = sqlite.prepare(
    `update devices
        set last_dev_nonce = @lastDevNonce, used_dev_nonces = @usedDevNonces, last_join_nonce = @lastJoinNonce,
            version = version + 1, updated_at = @updatedAt
      where dev_eui = @devEui and version = @expectedVersion`,
  );
  const insertSession = sqlite.prepare(
    `insert into session_keys (dev_eui, session_key_id, mac_version, join_nonce, dev_nonce, net_id, as_id,
                               nwk_s_key, f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key, app_s_key, created_at)
     values (@dev_eui, @session_key_id, @mac_version, @join_nonce, @dev_nonce, @net_id, @as_id,
             @nwk_s_key, @f_nwk_s_int_key, @s_nwk_s_int_key, @nwk_s_enc_key, @app_s_key, @created_at)`,
  );
  // Keeps the session just inserted plus the newest `others` of the rest; the index on
  // (dev_eui, created_at, session_key_id) yields them in order, so no sort and no NOT IN list.
  const pruneSessions = sqlite.prepare(
    `delete from session_keys
      where dev_eui = @devEui
        and session_key_id in (
          select session_key_id from session_keys
           where dev_eui = @devEui and session_key_id <> @keptId
           order by created_at desc, session_key_id desc
           limit -1 offset @others)`,
  );
  return { updateState, insertSession, pruneSessions, selectDevice, selectJoinDevice };
}
