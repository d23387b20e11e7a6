import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';

/** Runs statements synchronously inside {@link sqliteSyncTransaction}. */
export interface SqliteSyncRunner {
  /** The rows of a Kysely-built query that returns rows (SELECT, or a write with RETURNING). */
  all<R>(query: Compilable<R>): R[];
  /** Runs a Kysely-built write; the number of rows it changed. */
  run(query: Compilable<unknown>): number;
  /** The statement of a fixed SQL text (prepared once), for statements run on every call. */
  statement(sql: string): BetterSqlite3.Statement;
}

/** Most transactions committed together. */
const MAX_BATCH = 256;
/** How long a transaction waits for a write lock another connection holds, by default, ms. */
const DEFAULT_LOCK_WAIT_MS = 5000;

interface Job {
  readonly work: (run: SqliteSyncRunner) => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The queue of one handle's transactions. */
interface Batcher {
  queue: Job[];
  scheduled: boolean;
  /** Since when the queue head has been waiting for another connection's write lock. */
  busySince: number | null;
  busyAttempts: number;
  readonly runner: SqliteSyncRunner;
  readonly busyTimeoutMs: number;
}

const batchers = new WeakMap<SqliteHandle, Batcher>();

/**
 * Runs `work` as one atomic write transaction on the handle's connection, synchronously under
 * Kysely's connection lock: no `await` between its statements, each statement prepared once
 * (`handle.statements`). Resolves with what `work` returned once it is committed; rejects with
 * what `work` threw, having rolled back everything it wrote. `work` must not await.
 *
 * Group commit: the transactions started during one turn of the event loop run right after the
 * turn, in order, in ONE `BEGIN IMMEDIATE … COMMIT`, each inside its own SAVEPOINT, so that one
 * that throws is rolled back alone and the others still commit. Each sees the writes of those
 * before it, exactly as if they had run one after another (a compare-and-set in a later one sees
 * the earlier one's update; audit appends chain on). If the COMMIT fails, all of them fail.
 *
 * The write lock is taken without waiting: while another connection (another process, say a
 * second `DEED_WORKERS` worker) holds it, the batch is tried again on a later turn instead of
 * sleeping in SQLite's busy handler, which would block the event loop. After the connection's
 * busy timeout the waiting transactions fail with SQLITE_BUSY, as `BEGIN IMMEDIATE` through Kysely
 * would.
 */
export function sqliteSyncTransaction<T>(handle: SqliteHandle, work: (run: SqliteSyncRunner) => T): Promise<T> {
  const batcher = batcherOf(handle);
  return new Promise<T>((resolve, reject) => {
    batcher.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!batcher.scheduled) schedule(handle, batcher, 0);
  });
}

function batcherOf(handle: SqliteHandle): Batcher {
  let batcher = batchers.get(handle);
  if (batcher === undefined) {
    const timeout = Number(handle.sqlite.pragma('busy_timeout', { simple: true }));
    batcher = {
      queue: [],
      scheduled: false,
      busySince: null,
      busyAttempts: 0,
      busyTimeoutMs: Number.isInteger(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_WAIT_MS,
      runner: {
        all<R>(query: Compilable<R>): R[] {
          const compiled = query.compile();
          return handle.statements.prepare(compiled.sql).all(compiled.parameters) as R[];
        },
        run(query: Compilable<unknown>): number {
          const compiled = query.compile();
          return handle.statements.prepare(compiled.sql).run(compiled.parameters).changes;
        },
        statement: (sql) => handle.statements.prepare(sql),
      },
    };
    batchers.set(handle, batcher);
  }
  return batcher;
}

function schedule(handle: SqliteHandle, batcher: Batcher, delayMs: number): void {
  batcher.scheduled = true;
  const flush = () => flushBatch(handle, batcher);
  if (delayMs === 0) setImmediate(flush);
  else setTimeout(flush, delayMs);
}

function flushBatch(handle: SqliteHandle, batcher: Batcher): void {
  withSqliteConnection(handle, (sqlite) => commitQueued(handle, batcher, sqlite)).then(
    (busy) => {
      batcher.scheduled = false;
      if (busy === null) {
        batcher.busySince = null;
        batcher.busyAttempts = 0;
      } else {
        const at = performance.now();
        batcher.busySince ??= at;
        if (at - batcher.busySince < batcher.busyTimeoutMs) {
          // Another connection is writing: come back after this turn, then every millisecond.
          schedule(handle, batcher, ++batcher.busyAttempts <= 2 ? 0 : 1);
          return;
        }
        failAll(batcher, busy);
        batcher.busySince = null;
        batcher.busyAttempts = 0;
      }
      if (batcher.queue.length > 0) schedule(handle, batcher, 0);
    },
    (error: unknown) => {
      batcher.scheduled = false;
      failAll(batcher, error);
    },
  );
}

function failAll(batcher: Batcher, error: unknown): void {
  const failed = batcher.queue;
  batcher.queue = [];
  for (const job of failed) job.reject(error);
}

/** Commits up to MAX_BATCH queued transactions; the SQLITE_BUSY error when the write lock was taken, else null. */
function commitQueued(handle: SqliteHandle, batcher: Batcher, sqlite: BetterSqlite3.Database): unknown {
  const { queue } = batcher;
  const batch = queue.length <= MAX_BATCH ? queue : queue.slice(0, MAX_BATCH);
  batcher.queue = queue.length <= MAX_BATCH ? [] : queue.slice(MAX_BATCH);
  if (batch.length === 0) return null;
  const statement = (sql: string) => handle.statements.prepare(sql);
  // SQLite runs a busy_timeout pragma when it is prepared, so these cannot be cached.
  sqlite.pragma('busy_timeout = 0');
  try {
    statement('begin immediate').run();
  } catch (error) {
    batcher.queue = batch.concat(batcher.queue);
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return error;
    throw error;
  } finally {
    sqlite.pragma(`busy_timeout = ${batcher.busyTimeoutMs}`);
  }
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  for (const job of batch) {
    statement('savepoint deed_transaction').run();
    try {
      const value = job.work(batcher.runner);
      statement('release deed_transaction').run();
      outcomes.push({ ok: true, value });
    } catch (error) {
      if (!sqlite.inTransaction) {
        // SQLite rolled the whole transaction back (say, an I/O error): nothing of the batch stays.
        for (const failed of batch) failed.reject(error);
        return null;
      }
      statement('rollback to deed_transaction').run();
      statement('release deed_transaction').run();
      outcomes.push({ ok: false, error });
    }
  }
  try {
    statement('commit').run();
  } catch (error) {
    if (sqlite.inTransaction) statement('rollback').run();
    for (const job of batch) job.reject(error);
    return null;
  }
  batch.forEach((job, i) => {
    const outcome = outcomes[i];
    if (outcome?.ok === true) job.resolve(outcome.value);
    else job.reject(outcome?.error);
  });
  return null;
}
