import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: what claiming adds. A device's own AS KEK (set by a claim, TTJS `kek`), when it was
 * claimed, and `outbox_events`: domain events (claims, releases, token changes) written in the
 * same transaction as the change they describe, for webhooks to deliver. A claim client (an
 * Application Server peer) names the application its claims land in (`peers.application_id`).
 */
export const claimsSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('devices').addColumn('as_kek_label', 'text').execute();
    await db.schema.alterTable('devices').addColumn('as_kek', 'text').execute();
    await db.schema.alterTable('devices').addColumn('claimed_at', 'text').execute();
    await db.schema.alterTable('peers').addColumn('application_id', 'text').execute();
    await db.schema
      .createTable('outbox_events')
      .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('dev_eui', 'text')
      .addColumn('application_id', 'text')
      .addColumn('owner_id', 'text')
      .addColumn('payload', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('outbox_events').execute();
    await db.schema.alterTable('peers').dropColumn('application_id').execute();
    for (const column of ['claimed_at', 'as_kek', 'as_kek_label']) await db.schema.alterTable('devices').dropColumn(column).execute();
  },
};
