import { type Kysely, type Migration, sql } from 'kysely';

/** Ids compare byte by byte, as on SQLite (see 0001-initial). */
const byteOrder = sql`collate "C"`;

/**
 * PostgreSQL: `console_sessions`, the web console's sign-in sessions (docs/console.md). Only the
 * SHA-256 of a session token is stored (unique); a session ends at `expires_at`, when its
 * account signs out, or when its account is deleted.
 */
export const consoleSessionsPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('console_sessions')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('account_id', 'text', (col) => col.modifyFront(byteOrder).notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('console_sessions_token_hash_key').on('console_sessions').column('token_hash').unique().execute();
    await db.schema.createIndex('console_sessions_account_id_idx').on('console_sessions').column('account_id').execute();
    await db.schema.createIndex('console_sessions_expires_at_idx').on('console_sessions').column('expires_at').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('console_sessions').execute();
  },
};
