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

/** Tuning of {@link createSqliteJoinPath}; the defaults suit production. */
export interface SqliteJoinPathOptions {
  /** Most joins committed in one transaction. Default 256. */
  readonly maxBatch?: number;
  /**
   * How long queued joins wait for a write lock another connection holds before they fail with
   * that connection's SQLITE_BUSY, ms. Default 5000 (the connection's busy timeout).
   */
  readonly lockWaitMs?: number;
}

/** The three statements of one join's commit. */
interface JoinStatements {
  readonly updateState: BetterSqlite3.Statement;
  readonly insertSession: BetterSqlite3.Statement;
  readonly pruneSessions: BetterSqlite3.Statement;
}

interface Statements extends JoinStatements {
  readonly selectDevice: BetterSqlite3.Statement<[string], DeviceRow>;
  /** One join in its own `BEGIN IMMEDIATE` transaction (waits on the busy timeout). */
  readonly commitAlone: BetterSqlite3.Transaction<(params: CommitParams) => boolean>;
  /** The busy timeout the connection was opened with, ms. */
  readonly busyTimeoutMs: number;
  readonly begin: BetterSqlite3.Statement;
  readonly commit: BetterSqlite3.Statement;
  readonly rollback: BetterSqlite3.Statement;
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

interface Queued {
  readonly params: CommitParams;
  resolve(committed: boolean): void;
  reject(error: unknown): void;
}

const DEFAULT_MAX_BATCH = 256;
const DEFAULT_LOCK_WAIT_MS = 5000;

/**
 * Prepared better-sqlite3 statements for `get` and `commitJoin`, run synchronously under
 * Kysely's connection lock (Kysely's SQLite driver prepares every statement anew and hops through
 * several promises per query). Statements are prepared on first use (after migration).
 *
 * Group commit: the joins committed during one turn of the event loop are written in ONE
 * `BEGIN IMMEDIATE … COMMIT`, right after the turn (`setImmediate`). Each join still runs its
 * own compare-and-set (`UPDATE … WHERE version = expected`), so of racing duplicates exactly one
 * wins, in this process or across processes, and a join whose UPDATE matches nothing writes
 * nothing. A batch that throws (say a duplicate session key id) is rolled back as a whole and its
 * joins are committed again one transaction each, so only the guilty join fails.
 *
 * The write lock is taken without waiting: while another connection (another process) holds it,
 * the batch is retried on a later turn instead of sleeping in SQLite's busy handler, which
 * would block the event loop. Joins arriving meanwhile join the batch. After `lockWaitMs` the
 * queued joins fail with SQLITE_BUSY, as a busy timeout would.
 */
export function createSqliteJoinPath(handle: SqliteHandle, now: () => Date, options: SqliteJoinPathOptions = {}): SqliteJoinPath {
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  let statements: Statements | undefined;
  const prepared = (): Statements => (statements ??= prepare(handle.sqlite));

  let queue: Queued[] = [];
  let scheduled = false;
  /** Since when the queue head has been waiting for another connection's write lock. */
  let busySince: number | null = null;
  let busyAttempts = 0;

  const schedule = (delayMs: number): void => {
    scheduled = true;
    if (delayMs === 0) setImmediate(flush);
    else setTimeout(flush, delayMs);
  };

  const flush = (): void => {
    withSqliteConnection(handle, (sqlite) => commitQueued(sqlite)).then(
      (outcome) => {
        scheduled = false;
        if (outcome.busy === null) {
          busySince = null;
          busyAttempts = 0;
        } else {
          const at = performance.now();
          busySince ??= at;
          if (at - busySince >= lockWaitMs) {
            failAll(outcome.busy);
            busySince = null;
            busyAttempts = 0;
          } else {
            // Another process is writing: come back after this turn, then every millisecond.
            schedule(++busyAttempts <= 2 ? 0 : 1);
            return;
          }
        }
        if (queue.length > 0) schedule(0);
      },
      (error: unknown) => {
        scheduled = false;
        failAll(error);
      },
    );
  };

  const failAll = (error: unknown): void => {
    const failed = queue;
    queue = [];
    for (const job of failed) job.reject(error);
  };

  /** Commits up to `maxBatch` queued joins; `busy` is the SQLITE_BUSY error when the lock was taken. */
  const commitQueued = (sqlite: BetterSqlite3.Database): { busy: unknown } => {
    const s = prepared();
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    if (batch.length === 0) return { busy: null };
    // SQLite runs a busy_timeout pragma when it is prepared, so these cannot be prepared once.
    sqlite.pragma('busy_timeout = 0');
    try {
      s.begin.run();
    } catch (error) {
      queue = batch.concat(queue);
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return { busy: error };
      throw error;
    } finally {
      sqlite.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
    }
    let results: boolean[];
    try {
      results = batch.map((job) => commitOne(s, job.params));
      s.commit.run();
    } catch {
      if (sqlite.inTransaction) s.rollback.run();
      // One transaction each, so that only the join that failed fails.
      for (const job of batch) {
        try {
          job.resolve(s.commitAlone.immediate(job.params));
        } catch (error) {
          job.reject(error);
        }
      }
      return { busy: null };
    }
    batch.forEach((job, i) => job.resolve(results[i] === true));
    return { busy: null };
  };

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
        new Promise<boolean>((resolve, reject) => {
          queue.push({ params, resolve, reject });
          if (!scheduled) schedule(0);
        }),
      );
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
  const join: JoinStatements = { updateState, insertSession, pruneSessions };
  const timeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  return {
    ...join,
    selectDevice,
    commitAlone: sqlite.transaction((params: CommitParams) => commitOne(join, params)),
    busyTimeoutMs: Number.isInteger(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_WAIT_MS,
    begin: sqlite.prepare('begin immediate'),
    commit: sqlite.prepare('commit'),
    rollback: sqlite.prepare('rollback'),
  };
}
