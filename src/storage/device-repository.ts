import type { Kysely, UpdateObject } from 'kysely';
import type { DevicePatch, DeviceRecord, DeviceStore, JoinCommit, NewDevice, SessionRecord } from '../devices/device.js';
import type { DatabaseHandle, SqlDialect } from './database-handle.js';
import { deviceFromRow, newDeviceRow, normalizeHex, otherSessionsToKeep, serializeNonces, sessionFromRow, sessionRow } from './device-rows.js';
import { type Database, type DevicesTable, toDbBoolean, toDbTimestamp } from './schema.js';
import { createSqliteJoinPath } from './sqlite-join-path.js';
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

    async list({ limit, after }): Promise<DeviceRecord[]> {
      let query = db.selectFrom('devices').selectAll().orderBy('dev_eui').limit(limit);
      if (after !== undefined) {
        query = query.where('dev_eui', '>', normalizeHex(after));
      }
      return (await query.execute()).map(deviceFromRow);
    },

    async count(): Promise<number> {
      const { n } = await db.selectFrom('devices').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
      return Number(n);
    },

    async update(devEui: string, patch: DevicePatch): Promise<DeviceRecord | null> {
      const changes: UpdateObject<Database, 'devices'> = {
        ...patchColumns(patch),
        updated_at: toDbTimestamp(now()),
        version: (eb) => eb('version', '+', 1),
      };
      const row = await db
        .updateTable('devices')
        .set(changes)
        .where('dev_eui', '=', normalizeHex(devEui))
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : deviceFromRow(row);
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

function patchColumns(patch: DevicePatch): Partial<Pick<DevicesTable, 'home_net_id' | 'home_ns_id' | 'as_id' | 'mac_version'>> & {
  resets_join_nonces?: 0 | 1;
} {
  return {
    ...(patch.homeNetId !== undefined && { home_net_id: patch.homeNetId }),
    ...(patch.homeNsId !== undefined && { home_ns_id: patch.homeNsId }),
    ...(patch.asId !== undefined && { as_id: patch.asId }),
    ...(patch.macVersion !== undefined && { mac_version: patch.macVersion }),
    ...(patch.resetsJoinNonces !== undefined && { resets_join_nonces: toDbBoolean(patch.resetsJoinNonces) }),
  };
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
