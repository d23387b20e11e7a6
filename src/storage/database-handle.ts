import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { SqliteStatementCache } from './sqlite-statement-cache.js';

/** The two SQL dialects Deed stores data in. */
export type SqlDialect = 'sqlite' | 'postgres';

interface HandleBase {
  /** Typed query builder over the whole schema. */
  readonly db: Kysely<Database>;
  /** Closes the SQLite file or ends the PostgreSQL pool. Safe to call twice. */
  close(): Promise<void>;
}

/** An open SQLite database (one better-sqlite3 connection shared with Kysely). */
export interface SqliteHandle extends HandleBase {
  readonly dialect: 'sqlite';
  /**
   * The raw connection behind `db`, for storage's synchronous hot paths. Use it only under
   * Kysely's connection lock (see `withSqliteConnection`), never across an `await`.
   */
  readonly sqlite: BetterSqlite3.Database;
  /** The statements `db` runs, prepared once per SQL text (also for the synchronous paths). */
  readonly statements: SqliteStatementCache;
}

/** An open PostgreSQL pool. */
export interface PostgresHandle extends HandleBase {
  readonly dialect: 'postgres';
}

/** What `openDatabase` returns: a dialect-tagged Kysely handle. */
export type DatabaseHandle = SqliteHandle | PostgresHandle;

/**
 * Runs synchronous better-sqlite3 work while holding Kysely's single-connection lock, so it never
 * interleaves with (or runs inside) a Kysely transaction that is waiting on an `await`.
 */
export function withSqliteConnection<T>(handle: SqliteHandle, work: (sqlite: BetterSqlite3.Database) => T): Promise<T> {
  return handle.db.getExecutor().provideConnection(async () => work(handle.sqlite));
}
