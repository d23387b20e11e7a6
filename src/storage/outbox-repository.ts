import type { Kysely } from 'kysely';
import type { DeviceEvent, DeviceEventType, NewDeviceEvent } from '../devices/device-event.js';
import type { DatabaseHandle } from './database-handle.js';
import { type Database, type OutboxEventRow, fromDbTimestamp, toDbTimestamp } from './schema.js';

/**
 * Writes events to the outbox inside the caller's transaction, so an event exists exactly when
 * the change it describes was committed.
 */
export async function appendOutboxEvents(trx: Kysely<Database>, events: readonly NewDeviceEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx.insertInto('outbox_events').values(outboxRows(events)).execute();
}

/** The `outbox_events` rows of `events`. */
export function outboxRows(events: readonly NewDeviceEvent[]) {
  return events.map((event) => ({
    type: event.type,
    dev_eui: event.devEui,
    application_id: event.applicationId,
    owner_id: event.ownerId,
    payload: JSON.stringify(event.data),
    created_at: toDbTimestamp(event.at),
  }));
}

/** The INSERT of one row of {@link outboxRows}, with named parameters (for prepared statements). */
export const OUTBOX_INSERT = `insert into outbox_events (type, dev_eui, application_id, owner_id, payload, created_at)
                              values (@type, @dev_eui, @application_id, @owner_id, @payload, @created_at)`;

/** An outbox row as a DeviceEvent (also read by the webhook delivery repository). */
export function eventFromRow(row: OutboxEventRow): DeviceEvent {
  return {
    id: Number(row.id),
    type: row.type as DeviceEventType,
    devEui: row.dev_eui ?? '',
    applicationId: row.application_id,
    ownerId: row.owner_id,
    at: fromDbTimestamp(row.created_at),
    data: JSON.parse(row.payload) as DeviceEvent['data'],
  };
}

/** Reading the outbox: events after an id, in order (the webhook dispatcher's cursor). */
export interface OutboxReader {
  after(id: number, limit: number): Promise<DeviceEvent[]>;
}

/** OutboxReader over Kysely (both dialects). */
export function createOutboxReader(handle: DatabaseHandle): OutboxReader {
  return {
    async after(id: number, limit: number): Promise<DeviceEvent[]> {
      const rows = await handle.db.selectFrom('outbox_events').selectAll().where('id', '>', id).orderBy('id').limit(limit).execute();
      return rows.map(eventFromRow);
    },
  };
}
