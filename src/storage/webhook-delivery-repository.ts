import type { Kysely } from 'kysely';
import type {
  AttemptOutcome, DeliveryState, DueDelivery, RouteEvent, WebhookDeliveryStore, WebhookSubscriber,
} from '../events/webhook.js';
import type { DeviceEvent } from '../devices/device-event.js';
import type { DatabaseHandle } from './database-handle.js';
import { eventFromRow } from './outbox-repository.js';
import { type Database, fromDbTimestamp, toDbBoolean, toDbTimestamp } from './schema.js';
import { parseEventTypes } from './webhook-repository.js';
import { writeTransaction } from './write-transaction.js';

/** `last_error` is cut to this many characters. */
const LAST_ERROR_MAX_LENGTH = 500;

const optionalDate = (value: Date | string | null): Date | null => (value === null ? null : fromDbTimestamp(value));

/** The enabled webhooks of enabled accounts that may receive some of `events`: their owners' and admins'. */
async function subscribersOf(trx: Kysely<Database>, events: readonly DeviceEvent[]): Promise<WebhookSubscriber[]> {
  const owners = [...new Set(events.flatMap((event) => (event.ownerId === null ? [] : [event.ownerId])))];
  const rows = await trx.selectFrom('webhooks')
    .innerJoin('accounts', 'accounts.id', 'webhooks.owner_id')
    .select(['webhooks.id', 'webhooks.owner_id', 'webhooks.event_types', 'webhooks.created_at', 'accounts.role'])
    .where('webhooks.disabled', '=', toDbBoolean(false))
    .where('accounts.disabled', '=', toDbBoolean(false))
    .where((eb) => eb.or([
      eb('accounts.role', '=', 'admin'),
      ...(owners.length === 0 ? [] : [eb('webhooks.owner_id', 'in', owners)]),
    ]))
    .orderBy('webhooks.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    ownerId: row.owner_id,
    ownerRole: row.role,
    eventTypes: parseEventTypes(row.event_types),
    createdAt: fromDbTimestamp(row.created_at),
  }));
}

/**
 * WebhookDeliveryStore over Kysely (both dialects). Routing and claiming each run in one write
 * transaction: `BEGIN IMMEDIATE` on SQLite (one writer at a time), and on PostgreSQL rows taken
 * with `FOR UPDATE SKIP LOCKED`, so processes sharing the database route disjoint events and
 * claim disjoint deliveries. A claimed delivery carries a lease (`locked_until`) that both hides
 * it from other claims until it runs out and fences the outcome written for it.
 */
export function createWebhookDeliveryRepository(handle: DatabaseHandle): WebhookDeliveryStore {
  const postgres = handle.dialect === 'postgres';
  return {
    async routeNewEvents(route: RouteEvent, { limit, now }): Promise<number> {
      return writeTransaction(handle, async (trx) => {
        const rows = await trx.selectFrom('outbox_events').selectAll()
          .where('routed_at', 'is', null).orderBy('id').limit(limit)
          .$if(postgres, (query) => query.forUpdate().skipLocked())
          .execute();
        if (rows.length === 0) return 0;
        const events = rows.map(eventFromRow);
        const subscribers = await subscribersOf(trx, events);
        const at = toDbTimestamp(now);
        const deliveries = events.flatMap((event) => route(event, subscribers).map((webhookId) => ({
          webhook_id: webhookId, event_id: event.id, attempts: 0, next_attempt_at: at, created_at: at,
        })));
        if (deliveries.length > 0) {
          await trx.insertInto('webhook_deliveries').values(deliveries)
            .onConflict((conflict) => conflict.columns(['webhook_id', 'event_id']).doNothing())
            .execute();
        }
        await trx.updateTable('outbox_events').set({ routed_at: at }).where('id', 'in', events.map((event) => event.id)).execute();
        return rows.length;
      });
    },

    async claimDue({ now, lockedUntil, limit }): Promise<DueDelivery[]> {
      const at = toDbTimestamp(now);
      const lease = toDbTimestamp(lockedUntil);
      return writeTransaction(handle, async (trx) => {
        const rows = await trx.selectFrom('webhook_deliveries as d')
          .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
          .innerJoin('accounts as a', 'a.id', 'w.owner_id')
          .innerJoin('outbox_events as e', 'e.id', 'd.event_id')
          .select(['d.webhook_id', 'd.attempts', 'w.url', 'w.secret'])
          .select(['e.id', 'e.type', 'e.dev_eui', 'e.application_id', 'e.owner_id', 'e.payload', 'e.created_at', 'e.routed_at'])
          .where('d.next_attempt_at', '<=', at)
          .where('d.delivered_at', 'is', null)
          .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<', at)]))
          .where('w.disabled', '=', toDbBoolean(false))
          .where('a.disabled', '=', toDbBoolean(false))
          .orderBy('d.next_attempt_at').orderBy('d.event_id').orderBy('d.webhook_id')
          .limit(limit)
          .$if(postgres, (query) => query.forUpdate('d').skipLocked())
          .execute();
        if (rows.length === 0) return [];
        await trx.updateTable('webhook_deliveries').set({ locked_until: lease })
          .where((eb) => eb.or(rows.map((row) => eb.and([eb('webhook_id', '=', row.webhook_id), eb('event_id', '=', Number(row.id))]))))
          .execute();
        return rows.map((row) => ({
          webhookId: row.webhook_id,
          url: row.url,
          secret: row.secret,
          event: eventFromRow(row),
          attempts: row.attempts,
          lockedUntil,
        }));
      });
    },

    async recordAttempt(delivery, outcome: AttemptOutcome): Promise<boolean> {
      const changes = outcome.kind === 'released'
        ? { locked_until: null }
        : {
          locked_until: null,
          next_attempt_at: outcome.kind === 'retry' ? toDbTimestamp(outcome.nextAttemptAt) : null,
          delivered_at: outcome.kind === 'delivered' ? toDbTimestamp(outcome.at) : null,
          last_error: outcome.kind === 'delivered' ? null : outcome.error.slice(0, LAST_ERROR_MAX_LENGTH),
        };
      let query = handle.db.updateTable('webhook_deliveries').set(changes)
        .where('webhook_id', '=', delivery.webhookId)
        .where('event_id', '=', delivery.eventId)
        .where('locked_until', '=', toDbTimestamp(delivery.lockedUntil));
      if (outcome.kind !== 'released') query = query.set((eb) => ({ attempts: eb('attempts', '+', 1) }));
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async listForWebhook(webhookId: string): Promise<DeliveryState[]> {
      const rows = await handle.db.selectFrom('webhook_deliveries').selectAll()
        .where('webhook_id', '=', webhookId).orderBy('event_id').execute();
      return rows.map((row) => ({
        webhookId: row.webhook_id,
        eventId: Number(row.event_id),
        attempts: row.attempts,
        nextAttemptAt: optionalDate(row.next_attempt_at),
        deliveredAt: optionalDate(row.delivered_at),
        lastError: row.last_error,
      }));
    },
  };
}
