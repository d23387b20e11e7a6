import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept by default; a new SQL text past that evicts the oldest. */
const DEFAULT_CAPACITY = 1000;

/**
 * better-sqlite3 statements prepared once per SQL text. Kysely's SQLite driver calls `prepare`
 * for every query it runs (about a fifth of a claim's CPU went there); {@link cachingDatabase}
 * puts this cache in front of it, and storage's synchronous paths use it directly.
 *
 * A cached statement is handed out again only when it is not busy: a statement still iterating
 * (Kysely's `stream()`, a caller holding an `iterate()` open) cannot run twice at once, so while
 * it iterates the same SQL text gets a fresh statement. `PRAGMA`s are never cached: SQLite runs
 * some of them while preparing.
 */
export interface SqliteStatementCache {
  /** The cached statement of `sql` (prepared on first use). */
  prepare(sql: string): BetterSqlite3.Statement;
  /** Statements currently kept. */
  readonly size: number;
}

/** A statement cache over `sqlite` keeping at most `capacity` statements. */
export function createSqliteStatementCache(sqlite: BetterSqlite3.Database, capacity = DEFAULT_CAPACITY): SqliteStatementCache {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (cached === undefined && !/^\s*pragma\b/i.test(sql)) {
        if (statements.size >= capacity) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    get size() {
      return statements.size;
    },
  };
}

/** The database Kysely's `SqliteDialect` is given: `sqlite` with `prepare` going through `cache`. */
export function cachingDatabase(sqlite: BetterSqlite3.Database, cache: SqliteStatementCache): SqliteDatabase {
  return {
    prepare: (sql: string): SqliteStatement => cache.prepare(sql),
    close: () => {
      sqlite.close();
    },
  };
}
