import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL: what claiming adds. A device's own AS KEK (set by a claim, TTJS `kek`), when it
 * was claimed, and `outbox_events`: domain events (claims, releases, token changes) written in
 * the same transaction as the change they describe, for webhooks to deliver. A claim client (an
 * Application Server peer) names the application its claims land in (`peers.application_id`).
 */
export const claimsPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('devices')
      .addColumn('as_kek_label', 'text')
      .addColumn('as_kek', 'text')
      .addColumn('claimed_at', 'timestamptz')
      .execute();
    await db.schema.alterTable('peers').addColumn('application_id', 'text').execute();
    await db.schema
      .createTable('outbox_events')
      .addColumn('id', 'bigserial', (col) => col.primaryKey())
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('dev_eui', 'text', (col) => col.modifyFront(sql`collate "C"`))
      .addColumn('application_id', 'text')
      .addColumn('owner_id', 'text')
      .addColumn('payload', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('outbox_events').execute();
    await db.schema.alterTable('peers').dropColumn('application_id').execute();
    await db.schema.alterTable('devices').dropColumn('claimed_at').dropColumn('as_kek').dropColumn('as_kek_label').execute();
  },
};
