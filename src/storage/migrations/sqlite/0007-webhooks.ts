import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: webhooks and their delivery queue (docs/events.md).
 *
 * - `webhooks`: an account's endpoint, its secret sealed under `webhook:<id>:secret`, the event
 *   types it receives (JSON array as text).
 * - `webhook_deliveries`: one row per (webhook, outbox event) to deliver; `next_attempt_at` is
 *   null once delivered or given up; `locked_until` is the lease of the process attempting it.
 * - `outbox_events.routed_at`: set when the dispatcher has created an event's deliveries.
 */
export const webhooksSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (col) => col.primaryKey().notNull())
      .addColumn('owner_id', 'text', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('url', 'text', (col) => col.notNull())
      .addColumn('secret', 'text', (col) => col.notNull())
      .addColumn('event_types', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0).check(sql`disabled in (0, 1)`))
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('webhooks_owner_id_idx').on('webhooks').columns(['owner_id', 'created_at', 'id']).execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('webhook_id', 'text', (col) => col.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_id', 'integer', (col) => col.notNull().references('outbox_events.id').onDelete('cascade'))
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text')
      .addColumn('locked_until', 'text')
      .addColumn('delivered_at', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['webhook_id', 'event_id'])
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').column('next_attempt_at')
      .where(sql.ref('next_attempt_at'), 'is not', null).execute();
    await db.schema.createIndex('webhook_deliveries_event_id_idx').on('webhook_deliveries').column('event_id').execute();
    await db.schema.alterTable('outbox_events').addColumn('routed_at', 'text').execute();
    await db.schema.createIndex('outbox_events_unrouted_idx').on('outbox_events').column('id')
      .where(sql.ref('routed_at'), 'is', null).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('outbox_events_unrouted_idx').execute();
    await db.schema.alterTable('outbox_events').dropColumn('routed_at').execute();
    await db.schema.dropTable('webhook_deliveries').execute();
    await db.schema.dropTable('webhooks').execute();
  },
};
