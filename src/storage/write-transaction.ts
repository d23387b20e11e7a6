import { type Kysely, sql } from 'kysely';
import type { DatabaseHandle } from './database-handle.js';
import type { Database } from './schema.js';

/**
 * Runs `work` in one write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock up
 * front, so two processes sharing the file queue on the busy timeout instead of failing to
 * upgrade a read lock), a READ COMMITTED transaction on PostgreSQL. Commits when `work`
 * resolves, rolls back when it throws.
 */
export async function writeTransaction<T>(
  handle: DatabaseHandle,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (handle.dialect === 'postgres') {
    return handle.db.transaction().execute(work);
  }
  return handle.db.connection().execute((conn) => immediateTransaction(conn, work));
}

/** `work` between `BEGIN IMMEDIATE` and `COMMIT` on one SQLite connection; rolled back if either throws. */
export async function immediateTransaction<D, T>(conn: Kysely<D>, work: (conn: Kysely<D>) => Promise<T>): Promise<T> {
  await sql`begin immediate`.execute(conn);
  try {
    const result = await work(conn);
    await sql`commit`.execute(conn);
    return result;
  } catch (error) {
    await sql`rollback`.execute(conn).catch(() => undefined);
    throw error;
  }
}
