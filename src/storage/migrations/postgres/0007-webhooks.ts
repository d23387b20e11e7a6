import { type Kysely, type Migration, sql } from 'kysely';

/** Ids compare byte by byte, as on SQLite (see 0001-initial). */
const byteOrder = sql`collate "C"`;

/**
 * PostgreSQL: webhooks and their delivery queue (docs/events.md).
 *
 * - `webhooks`: an account's endpoint, its secret sealed under `webhook:<id>:secret`, the event
 *   types it receives (JSON array as text).
 * - `webhook_deliveries`: one row per (webhook, outbox event) to deliver; `next_attempt_at` is
 *   null once delivered or given up; `locked_until` is the lease of the process attempting it.
 * - `outbox_events.routed_at`: set when the dispatcher has created an event's deliveries, so
 *   an event committed late (after higher ids were routed) is still routed.
 */
export const webhooksPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('owner_id', 'text', (col) => col.modifyFront(byteOrder).notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('url', 'text', (col) => col.notNull())
      .addColumn('secret', 'text', (col) => col.notNull())
      .addColumn('event_types', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addColumn('disabled', 'boolean', (col) => col.notNull().defaultTo(false))
      .execute();
    await db.schema.createIndex('webhooks_owner_id_idx').on('webhooks').columns(['owner_id', 'created_at', 'id']).execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('webhook_id', 'text', (col) => col.modifyFront(byteOrder).notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_id', 'bigint', (col) => col.notNull().references('outbox_events.id').onDelete('cascade'))
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'timestamptz')
      .addColumn('locked_until', 'timestamptz')
      .addColumn('delivered_at', 'timestamptz')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['webhook_id', 'event_id'])
      .execute();
    await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').column('next_attempt_at')
      .where(sql.ref('next_attempt_at'), 'is not', null).execute();
    await db.schema.createIndex('webhook_deliveries_event_id_idx').on('webhook_deliveries').column('event_id').execute();
    await db.schema.alterTable('outbox_events').addColumn('routed_at', 'timestamptz').execute();
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
