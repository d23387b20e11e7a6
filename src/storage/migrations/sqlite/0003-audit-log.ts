import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: `audit_events`, the append-only hash-chained audit log (docs/audit.md). `seq` is the
 * primary key (the rowid); timestamps are ISO-8601 UTC text; details a JSON object as text.
 */
export const auditLogSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'integer', (col) => col.primaryKey().notNull())
      .addColumn('at', 'text', (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('dev_eui', 'text')
      .addColumn('outcome', 'text', (col) => col.notNull().check(sql`outcome in ('success', 'failure')`))
      .addColumn('details', 'text', (col) => col.notNull().defaultTo('{}'))
      .addColumn('prev_hash', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('audit_events_dev_eui_idx').on('audit_events').columns(['dev_eui', 'seq']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_events').execute();
  },
};
