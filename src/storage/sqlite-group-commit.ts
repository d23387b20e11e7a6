import type BetterSqlite3 from 'better-sqlite3';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';

/** Tuning of {@link createSqliteGroupCommit}; the defaults suit production. */
export interface SqliteGroupCommitOptions {
  /** Most writes committed in one transaction. Default 256. */
  readonly maxBatch?: number;
  /**
   * How long queued writes wait for a write lock another connection holds before they fail with
   * that connection's SQLITE_BUSY, ms. Default: the connection's busy timeout (5000).
   */
  readonly lockWaitMs?: number;
}

/** Queues one write for the next group commit; resolves with what `write` returned once it is committed. */
export type GroupCommit<P, R> = (params: P) => Promise<R>;

/** One queued write and how to settle it. */
export interface QueuedWrite<P, R> {
  readonly params: P;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs a batch inside the `BEGIN IMMEDIATE` the queue opened: it must end the transaction (COMMIT,
 * or roll back) and settle every write of the batch.
 */
export type CommitBatch<P, R> = (sqlite: BetterSqlite3.Database, batch: readonly QueuedWrite<P, R>[]) => void;

const DEFAULT_MAX_BATCH = 256;
const DEFAULT_LOCK_WAIT_MS = 5000;

/**
 * The queue behind every SQLite group commit: the writes submitted during one turn of the event
 * loop are handed to `commitBatch` together, right after the turn (`setImmediate`), under Kysely's
 * connection lock, inside one `BEGIN IMMEDIATE` (at most `maxBatch` at a time; the rest on the
 * next turn).
 *
 * The write lock is taken without waiting: while another connection (another process, say a
 * second `DEED_WORKERS` worker) holds it, the batch is tried again on a later turn instead of
 * sleeping in SQLite's busy handler, which would block the event loop; writes submitted meanwhile
 * join it. After `lockWaitMs` the queued writes fail with SQLITE_BUSY, as a busy timeout would.
 */
export function createSqliteWriteQueue<P, R>(
  handle: SqliteHandle,
  commitBatch: CommitBatch<P, R>,
  options: SqliteGroupCommitOptions = {},
): GroupCommit<P, R> {
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  let busyTimeout: number | undefined;
  /** The connection's busy timeout, restored after each BEGIN; read once. */
  const busyTimeoutMs = (): number => (busyTimeout ??= readBusyTimeout(handle.sqlite));
  const lockWaitMs = (): number => options.lockWaitMs ?? busyTimeoutMs();

  let queue: QueuedWrite<P, R>[] = [];
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
      (busy) => {
        scheduled = false;
        if (busy === null) {
          busySince = null;
          busyAttempts = 0;
        } else {
          const at = performance.now();
          busySince ??= at;
          if (at - busySince >= lockWaitMs()) {
            failAll(busy);
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

  /** Opens the transaction and commits up to `maxBatch` queued writes; the SQLITE_BUSY error when another connection holds the lock, else null. */
  const commitQueued = (sqlite: BetterSqlite3.Database): unknown => {
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    if (batch.length === 0) return null;
    const restore = busyTimeoutMs(); // read before it is set to 0 below
    // SQLite runs a busy_timeout pragma when it is prepared, so these cannot be prepared once.
    sqlite.pragma('busy_timeout = 0');
    try {
      handle.statements.prepare('begin immediate').run();
    } catch (error) {
      queue = batch.concat(queue);
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return error;
      throw error;
    } finally {
      sqlite.pragma(`busy_timeout = ${restore}`);
    }
    commitBatch(sqlite, batch);
    return null;
  };

  return (params) => new Promise<R>((resolve, reject) => {
    queue.push({ params, resolve, reject });
    if (!scheduled) schedule(0);
  });
}

/**
 * Group commit of small synchronous SQLite writes ({@link createSqliteWriteQueue}): the writes of
 * one turn in ONE `BEGIN IMMEDIATE … COMMIT`. `write` runs each one with prepared statements and
 * must be synchronous; each write stays its own check-and-write (a conditional statement), so
 * batching changes no outcome. A batch that throws is rolled back as a whole and its writes run
 * again one transaction each, so only the guilty write fails and none is half done. Used by the
 * join path (`sqlite-join-path.ts`) and the claim-window path (`sqlite-window-path.ts`).
 */
export function createSqliteGroupCommit<P, R>(
  handle: SqliteHandle,
  write: (sqlite: BetterSqlite3.Database, params: P) => R,
  options: SqliteGroupCommitOptions = {},
): GroupCommit<P, R> {
  const statement = (sql: string) => handle.statements.prepare(sql);
  return createSqliteWriteQueue<P, R>(handle, (sqlite, batch) => {
    let results: R[];
    try {
      results = batch.map((job) => write(sqlite, job.params));
      statement('commit').run();
    } catch {
      if (sqlite.inTransaction) statement('rollback').run();
      // One transaction each (waiting on the busy timeout), so that only the write that failed fails.
      for (const job of batch) {
        try {
          statement('begin immediate').run();
          try {
            const result = write(sqlite, job.params);
            statement('commit').run();
            job.resolve(result);
          } catch (error) {
            if (sqlite.inTransaction) statement('rollback').run();
            throw error;
          }
        } catch (error) {
          job.reject(error);
        }
      }
      return;
    }
    batch.forEach((job, i) => job.resolve(results[i] as R));
  }, options);
}

function readBusyTimeout(sqlite: BetterSqlite3.Database): number {
  const timeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  return Number.isInteger(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_WAIT_MS;
}
