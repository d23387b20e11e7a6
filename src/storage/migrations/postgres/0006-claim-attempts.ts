import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL: `claim_attempts`, the failed-claim counters of brute-force protection (one row per
 * counted key: `device:<DevEUI>`, `account:<id>`, `client:<id>`, `ip:<address>`). Kept in the
 * database so every `deed serve` process sharing it sees the same counts; a failure is counted
 * with one `insert … on conflict do update`, atomic under concurrency.
 */
export const claimAttemptsPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('claim_attempts')
      .addColumn('key', 'text', (col) => col.primaryKey().modifyFront(sql`collate "C"`))
      .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('lockouts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('locked_until', 'timestamptz')
      .addColumn('last_failure_at', 'timestamptz', (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('claim_attempts').execute();
  },
};
