import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';
import type { SqliteHandle } from './database-handle.js';
import { createSqliteWriteQueue, type GroupCommit, type QueuedWrite } from './sqlite-group-commit.js';

/** Runs statements synchronously inside {@link sqliteSyncTransaction}. */
export interface SqliteSyncRunner {
  /** The rows of a Kysely-built query that returns rows (SELECT, or a write with RETURNING). */
  all<R>(query: Compilable<R>): R[];
  /** Runs a Kysely-built write; the number of rows it changed. */
  run(query: Compilable<unknown>): number;
  /** The statement of a fixed SQL text (prepared once), for statements run on every call. */
  statement(sql: string): BetterSqlite3.Statement;
}

type Work = (run: SqliteSyncRunner) => unknown;

/** Each handle's queue of transactions (one per database connection). */
const queues = new WeakMap<SqliteHandle, GroupCommit<Work, unknown>>();

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
 * Queued, batched and retried while another connection holds the write lock exactly as the
 * join path's writes are (`createSqliteWriteQueue` in `sqlite-group-commit.ts`): after the
 * connection's busy timeout the waiting transactions fail with SQLITE_BUSY, as `BEGIN IMMEDIATE`
 * through Kysely would.
 */
export function sqliteSyncTransaction<T>(handle: SqliteHandle, work: (run: SqliteSyncRunner) => T): Promise<T> {
  let queue = queues.get(handle);
  if (queue === undefined) {
    const runner = runnerOf(handle);
    queue = createSqliteWriteQueue<Work, unknown>(handle, (sqlite, batch) => commitInSavepoints(handle, runner, sqlite, batch));
    queues.set(handle, queue);
  }
  return queue(work) as Promise<T>;
}

function runnerOf(handle: SqliteHandle): SqliteSyncRunner {
  return {
    all<R>(query: Compilable<R>): R[] {
      const compiled = query.compile();
      return handle.statements.prepare(compiled.sql).all(compiled.parameters) as R[];
    },
    run(query: Compilable<unknown>): number {
      const compiled = query.compile();
      return handle.statements.prepare(compiled.sql).run(compiled.parameters).changes;
    },
    statement: (sql) => handle.statements.prepare(sql),
  };
}

/** Runs each transaction of the batch in its own SAVEPOINT, then commits them together. */
function commitInSavepoints(
  handle: SqliteHandle, runner: SqliteSyncRunner, sqlite: BetterSqlite3.Database, batch: readonly QueuedWrite<Work, unknown>[],
): void {
  const statement = (sql: string) => handle.statements.prepare(sql);
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  for (const job of batch) {
    statement('savepoint deed_transaction').run();
    try {
      const value = job.params(runner);
      statement('release deed_transaction').run();
      outcomes.push({ ok: true, value });
    } catch (error) {
      if (!sqlite.inTransaction) {
        // SQLite rolled the whole transaction back (say, an I/O error): nothing of the batch stays.
        for (const failed of batch) failed.reject(error);
        return;
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
    return;
  }
  batch.forEach((job, i) => {
    const outcome = outcomes[i];
    if (outcome?.ok === true) job.resolve(outcome.value);
    else job.reject(outcome?.error);
  });
}
