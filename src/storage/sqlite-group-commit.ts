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

interface Queued<P, R> {
  readonly params: P;
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface Prepared {
  readonly begin: BetterSqlite3.Statement;
  readonly commit: BetterSqlite3.Statement;
  readonly rollback: BetterSqlite3.Statement;
  readonly busyTimeoutMs: number;
}

const DEFAULT_MAX_BATCH = 256;
const DEFAULT_LOCK_WAIT_MS = 5000;

/**
 * Group commit of small synchronous SQLite writes: the writes submitted during one turn of the
 * event loop run in ONE `BEGIN IMMEDIATE … COMMIT`, right after the turn (`setImmediate`), under
 * Kysely's connection lock. `write` runs each one with prepared statements and must be
 * synchronous; each write stays its own check-and-write (a conditional statement), so batching
 * changes no outcome. A batch that throws is rolled back as a whole and its writes run again one
 * transaction each, so only the guilty write fails and none is half done.
 *
 * The write lock is taken without waiting: while another connection (another process) holds it,
 * the batch is retried on a later turn instead of sleeping in SQLite's busy handler, which would
 * block the event loop; writes submitted meanwhile join it. After `lockWaitMs` the queued writes
 * fail with SQLITE_BUSY, as a busy timeout would. Used by the join path (`sqlite-join-path.ts`) and the
 * claim-window path (`sqlite-window-path.ts`).
 */
export function createSqliteGroupCommit<P, R>(
  handle: SqliteHandle,
  write: (sqlite: BetterSqlite3.Database, params: P) => R,
  options: SqliteGroupCommitOptions = {},
): GroupCommit<P, R> {
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  let statements: Prepared | undefined;
  const prepared = (): Prepared => (statements ??= prepare(handle.sqlite));
  const lockWaitMs = (): number => options.lockWaitMs ?? prepared().busyTimeoutMs;

  let queue: Queued<P, R>[] = [];
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

  /** Commits up to `maxBatch` queued writes; returns the SQLITE_BUSY error when another connection holds the lock. */
  const commitQueued = (sqlite: BetterSqlite3.Database): unknown => {
    const s = prepared();
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    if (batch.length === 0) return null;
    // SQLite runs a busy_timeout pragma when it is prepared, so these cannot be prepared once.
    sqlite.pragma('busy_timeout = 0');
    try {
      s.begin.run();
    } catch (error) {
      queue = batch.concat(queue);
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return error;
      throw error;
    } finally {
      sqlite.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
    }
    let results: R[];
    try {
      results = batch.map((job) => write(sqlite, job.params));
      s.commit.run();
    } catch {
      if (sqlite.inTransaction) s.rollback.run();
      // One transaction each (waiting on the busy timeout), so that only the write that failed fails.
      for (const job of batch) {
        try {
          s.begin.run();
          try {
            const result = write(sqlite, job.params);
            s.commit.run();
            job.resolve(result);
          } catch (error) {
            if (sqlite.inTransaction) s.rollback.run();
            throw error;
          }
        } catch (error) {
          job.reject(error);
        }
      }
      return null;
    }
    batch.forEach((job, i) => job.resolve(results[i] as R));
    return null;
  };

  return (params) => new Promise<R>((resolve, reject) => {
    queue.push({ params, resolve, reject });
    if (!scheduled) schedule(0);
  });
}

function prepare(sqlite: BetterSqlite3.Database): Prepared {
  const timeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  return {
    begin: sqlite.prepare('begin immediate'),
    commit: sqlite.prepare('commit'),
    rollback: sqlite.prepare('rollback'),
    busyTimeoutMs: Number.isInteger(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_WAIT_MS,
  };
}
