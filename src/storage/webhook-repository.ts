import { DEVICE_EVENT_TYPES, type DeviceEventType } from '../devices/device-event.js';
import type { NewWebhook, WebhookRecord, WebhookStore } from '../events/webhook.js';
import type { DatabaseHandle } from './database-handle.js';
import { type WebhookRow, fromDbBoolean, fromDbTimestamp, toDbBoolean, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** The known event types of a stored JSON array (an unknown one, from a newer version, is dropped). */
export function parseEventTypes(text: string): DeviceEventType[] {
  const parsed: unknown = JSON.parse(text);
  const types = Array.isArray(parsed) ? parsed : [];
  return DEVICE_EVENT_TYPES.filter((type) => types.includes(type));
}

function webhookFromRow(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    url: row.url,
    secret: row.secret,
    eventTypes: parseEventTypes(row.event_types),
    createdAt: fromDbTimestamp(row.created_at),
    disabled: fromDbBoolean(row.disabled),
  };
}

/**
 * WebhookStore over Kysely (both dialects). Removing a webhook removes its deliveries too
 * (foreign key `on delete cascade`).
 */
export function createWebhookRepository(handle: DatabaseHandle, options: { now?: () => Date } = {}): WebhookStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  const ordered = () => db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id');
  return {
    async create(webhook: NewWebhook): Promise<WebhookRecord> {
      const row = await translateUniqueViolation('webhook', { id: webhook.id }, () =>
        db.insertInto('webhooks').values({
          id: webhook.id,
          owner_id: webhook.ownerId,
          url: webhook.url,
          secret: webhook.secret,
          event_types: JSON.stringify(webhook.eventTypes),
          created_at: toDbTimestamp(now()),
          disabled: toDbBoolean(false),
        }).returningAll().executeTakeFirstOrThrow());
      return webhookFromRow(row);
    },

    async get(id: string): Promise<WebhookRecord | null> {
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : webhookFromRow(row);
    },

    async listByOwner(ownerId: string): Promise<WebhookRecord[]> {
      return (await ordered().where('owner_id', '=', ownerId).execute()).map(webhookFromRow);
    },

    async list(): Promise<WebhookRecord[]> {
      return (await ordered().execute()).map(webhookFromRow);
    },

    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      const result = await db.updateTable('webhooks').set({ disabled: toDbBoolean(disabled) }).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
