import { type Kysely, type MigrationResult, Migrator, sql } from 'kysely';
import type { DatabaseHandle } from './database-handle.js';
import { MigrationFailedError } from './errors.js';
import { migrationsByDialect } from './migrations/migrations.js';
import { immediateTransaction } from './write-transaction.js';

/**
 * Key of the PostgreSQL session advisory lock held while migrating (an arbitrary constant,
 * "deed" in ASCII). Kysely's migrator takes its own advisory lock, but only around running the
 * migrations: it creates its bookkeeping tables before that, unlocked. Holding this lock for the
 * whole run makes concurrent start-ups wait for each other instead of racing.
 */
const POSTGRES_MIGRATION_LOCK = 0x64656564;

/** Options of {@link migrateToLatest}. */
export interface MigrateOptions {
  readonly log?: (message: string) => void;
}

/**
 * Brings the schema to the latest version; returns the names of the migrations it applied (none
 * when up to date). Safe when several processes start at once: on PostgreSQL they serialize on
 * an advisory lock, on SQLite on `BEGIN IMMEDIATE` (the whole run is one transaction, so a failed
 * migration leaves the schema as it was).
 *
 * @throws MigrationFailedError
 */
export async function migrateToLatest(handle: DatabaseHandle, options: MigrateOptions = {}): Promise<string[]> {
  const run = (db: Kysely<unknown>): Promise<readonly MigrationResult[]> =>
    migrate(db, handle.dialect);
  const results = await (handle.dialect === 'postgres'
    ? handle.db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${POSTGRES_MIGRATION_LOCK})`.execute(conn);
        try {
          return await run(conn as Kysely<unknown>);
        } finally {
          await sql`select pg_advisory_unlock(${POSTGRES_MIGRATION_LOCK})`.execute(conn);
        }
      })
    : // SQLite DDL is transactional; Kysely's SQLite migrator does not use a transaction.
      handle.db.connection().execute((conn) => immediateTransaction(conn as Kysely<unknown>, run)));
  const applied = results.map((result) => result.migrationName);
  for (const name of applied) {
    options.log?.(`storage: applied migration ${name}`);
  }
  return applied;
}

async function migrate(db: Kysely<unknown>, dialect: DatabaseHandle['dialect']): Promise<readonly MigrationResult[]> {
  const migrations = migrationsByDialect[dialect];
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationFailedError(reason, failed?.migrationName);
  }
  return results;
}
