import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL: `audit_events`, the append-only hash-chained audit log (docs/audit.md). `seq` is
 * assigned by the appender under a transaction-scoped advisory lock (not a sequence, which
 * would leave gaps on rollback); timestamps `timestamptz`; details a JSON object as text.
 */
export const auditLogPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'integer', (col) => col.primaryKey())
      .addColumn('at', 'timestamptz', (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('dev_eui', 'text', (col) => col.modifyFront(sql`collate "C"`))
      .addColumn('outcome', 'text', (col) => col.notNull().check(sql`outcome in ('success', 'failure')`))
      .addColumn('details', 'text', (col) => col.notNull().defaultTo('{}'))
      .addColumn('prev_hash', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('audit_events_dev_eui_idx').on('audit_events').columns(['dev_eui', 'seq']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_events').execute();
  },
};
