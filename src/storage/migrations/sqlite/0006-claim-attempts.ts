import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: `claim_attempts`, the failed-claim counters of brute-force protection (one row per
 * counted key: `device:<DevEUI>`, `account:<id>`, `client:<id>`, `ip:<address>`). Kept in the
 * database so every `deed serve` process sees the same counts. Timestamps are ISO-8601 UTC text.
 */
export const claimAttemptsSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('claim_attempts')
      .addColumn('key', 'text', (col) => col.primaryKey().notNull())
      .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('lockouts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('locked_until', 'text')
      .addColumn('last_failure_at', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('claim_attempts').execute();
  },
};
