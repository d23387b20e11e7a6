import type { DeviceEvent, DeviceEventType } from '../devices/device-event.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** The JSON body of a webhook request (docs/events.md). */
export interface WebhookPayload {
  /** The event id (the outbox position) as a string: the same in every attempt, so receivers drop duplicates by it. */
  readonly id: string;
  readonly type: DeviceEventType;
  readonly devEui: string;
  readonly applicationId: string | null;
  /** When the change happened, ISO 8601 UTC. */
  readonly at: string;
  readonly data: DeviceEvent['data'];
}

/** One HTTP POST to make. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The body of an event's deliveries. */
export function webhookPayload(event: DeviceEvent): WebhookPayload {
  return {
    id: String(event.id),
    type: event.type,
    devEui: event.devEui,
    applicationId: event.applicationId,
    at: event.at.toISOString(),
    data: event.data,
  };
}

/**
 * The request of one attempt: JSON body, `Deed-Event-Id`, `Deed-Event-Type`,
 * `Deed-Delivery-Attempt` (1, 2, …) and `Deed-Signature` computed at `timestampSeconds`.
 */
export function webhookRequest(
  target: { readonly url: string; readonly secret: string },
  event: DeviceEvent,
  attempt: number,
  timestampSeconds: number,
  userAgent: string,
): WebhookRequest {
  const body = JSON.stringify(webhookPayload(event));
  return {
    url: target.url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': userAgent,
      'deed-event-id': String(event.id),
      'deed-event-type': event.type,
      'deed-delivery-attempt': String(attempt),
      [SIGNATURE_HEADER.toLowerCase()]: signWebhook(target.secret, timestampSeconds, body),
    },
  };
}
