import type BetterSqlite3 from 'better-sqlite3';
import type { DeviceRecord, JoinCommit } from '../devices/device.js';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';
import { deviceFromRow, normalizeHex, otherSessionsToKeep, serializeNonces, sessionRow } from './device-rows.js';
import { type DeviceRow, type NewSessionRow, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** The join hot path on SQLite: reading a device and committing a join. */
export interface SqliteJoinPath {
  get(devEui: string): Promise<DeviceRecord | null>;
  commitJoin(commit: JoinCommit): Promise<boolean>;
}

interface Statements {
  readonly selectDevice: BetterSqlite3.Statement<[string], DeviceRow>;
  readonly commit: BetterSqlite3.Transaction<(params: CommitParams) => boolean>;
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
 * Prepared better-sqlite3 statements for `get` and `commitJoin`, run synchronously under
 * Kysely's connection lock. Kysely's SQLite driver prepares every statement anew and hops
 * through several promises per query; this path prepares once and commits a join in one
 * synchronous `BEGIN IMMEDIATE … COMMIT`. Statements are prepared on first use (after migration).
 */
export function createSqliteJoinPath(handle: SqliteHandle, now: () => Date): SqliteJoinPath {
  let statements: Statements | undefined;
  const prepared = (): Statements => (statements ??= prepare(handle.sqlite));

  return {
    get(devEui) {
      const key = normalizeHex(devEui);
      return withSqliteConnection(handle, () => {
        const row = prepared().selectDevice.get(key);
        return row === undefined ? null : deviceFromRow(row);
      });
    },

    commitJoin(commit) {
      const session = sessionRow(commit.session);
      const params: CommitParams = {
        devEui: normalizeHex(commit.devEui),
        expectedVersion: commit.expectedVersion,
        lastDevNonce: commit.lastDevNonce,
        usedDevNonces: serializeNonces(commit.usedDevNonces),
        lastJoinNonce: commit.lastJoinNonce,
        updatedAt: toDbTimestamp(now()),
        session,
        others: otherSessionsToKeep(commit.keepSessions),
      };
      return translateUniqueViolation('session', { devEui: params.devEui, sessionKeyId: session.session_key_id }, () =>
        withSqliteConnection(handle, () => prepared().commit.immediate(params)),
      );
    },
  };
}

function prepare(sqlite: BetterSqlite3.Database): Statements {
  const selectDevice = sqlite.prepare<[string], DeviceRow>('select * from devices where dev_eui = ?');
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
  const commit = sqlite.transaction((params: CommitParams): boolean => {
    const { changes } = updateState.run({
      devEui: params.devEui,
      expectedVersion: params.expectedVersion,
      lastDevNonce: params.lastDevNonce,
      usedDevNonces: params.usedDevNonces,
      lastJoinNonce: params.lastJoinNonce,
      updatedAt: params.updatedAt,
    });
    if (changes === 0) {
      return false;
    }
    insertSession.run(params.session);
    pruneSessions.run({ devEui: params.devEui, keptId: params.session.session_key_id, others: params.others });
    return true;
  });
  return { selectDevice, commit };
}
