import type { DeviceEvent } from '../devices/device-event.js';
import type { WebhookSubscriber } from './webhook.js';

/**
 * Which webhooks receive an event:
 *
 * - a webhook of the account named by the event's `ownerId` (the owner holding the device, or
 *   the maker whose inventory holds an unclaimed one), and every webhook of an admin account;
 * - that subscribed to the event's type;
 * - that existed when the event happened (a new webhook does not replay the past).
 *
 * The storage passes only enabled webhooks of enabled accounts. Returns their ids, in the
 * order given.
 */
export function routeEvent(event: DeviceEvent, subscribers: readonly WebhookSubscriber[]): string[] {
  return subscribers
    .filter((webhook) => webhook.ownerRole === 'admin' || (event.ownerId !== null && webhook.ownerId === event.ownerId))
    .filter((webhook) => webhook.eventTypes.includes(event.type))
    .filter((webhook) => webhook.createdAt.getTime() <= event.at.getTime())
    .map((webhook) => webhook.id);
}
