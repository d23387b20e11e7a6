import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseHandle, PostgresHandle, SqliteHandle } from './database-handle.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';
import { StorageUnavailableError } from './errors.js';
import type { Database } from './schema.js';
import { cachingDatabase, createSqliteStatementCache } from './sqlite-statement-cache.js';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Receives one line per notable event (never a password). */
  readonly log?: (message: string) => void;
  /** PostgreSQL pool size; 10 by default. */
  readonly maxConnections?: number;
  /** How long to wait for a PostgreSQL connection, in ms; 10 s by default. */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_MAX_CONNECTIONS = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a database. A `postgres://` or `postgresql://` URL selects PostgreSQL (a `pg` pool, checked
 * with one query so an unreachable server fails here); anything else is a SQLite file path (or
 * `sqlite:` + path, or `:memory:`), opened with WAL, `synchronous = NORMAL`, a 5 s busy timeout
 * and foreign keys on, each statement prepared once per SQL text (`SqliteHandle.statements`, in
 * front of Kysely's driver, which would prepare it for every query). Does not migrate: call
 * `migrateToLatest` next.
 *
 * Open one handle per SQLite file per process: better-sqlite3 waits for a lock synchronously, so
 * a second handle in the same process blocks the event loop (up to the busy timeout) while the
 * first one holds a write transaction across an `await`. Separate processes are fine.
 *
 * @throws StorageUnavailableError naming the file or the URL (password redacted).
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const location = parseDatabaseUrl(url);
  return location.dialect === 'postgres'
    ? openPostgres(location.url, options)
    : openSqlite(location.path, options);
}

function openSqlite(path: string, options: OpenDatabaseOptions): SqliteHandle {
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path);
  } catch (error) {
    throw new StorageUnavailableError(`SQLite ${path}`, reasonOf(error));
  }
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw new StorageUnavailableError(`SQLite ${path}`, reasonOf(error));
  }
  const statements = createSqliteStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite, statements) }) });
  options.log?.(`storage: opened SQLite ${path}`);
  let closed: Promise<void> | undefined;
  return {
    dialect: 'sqlite',
    db,
    sqlite,
    statements,
    close: () => (closed ??= db.destroy()),
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<PostgresHandle> {
  const shown = redactDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server emits on the pool; without a listener Node would crash.
  pool.on('error', (error) => options.log?.(`storage: idle PostgreSQL connection failed: ${reasonOf(error)}`));
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StorageUnavailableError(`PostgreSQL ${shown}`, reasonOf(error));
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  options.log?.(`storage: connected to PostgreSQL ${shown}`);
  let closed: Promise<void> | undefined;
  return {
    dialect: 'postgres',
    db,
    close: () => (closed ??= db.destroy()),
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node's connect() to "localhost" tries ::1 and 127.0.0.1 and reports both.
    return error.errors.map(reasonOf).join('; ');
  }
  if (error instanceof Error) {
    return error.message !== '' ? error.message : ((error as { code?: string }).code ?? error.name);
  }
  return String(error);
}
