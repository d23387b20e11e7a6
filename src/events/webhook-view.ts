import type { DeviceEventType } from '../devices/device-event.js';
import type { WebhookRecord } from './webhook.js';

/** What the API shows of a webhook: never its secret (except once, when it is created). */
export interface WebhookView {
  readonly id: string;
  /** Username of the account that registered it. */
  readonly owner: string;
  readonly url: string;
  readonly events: readonly DeviceEventType[];
  readonly disabled: boolean;
  readonly createdAt: string;
}

export function toWebhookView(webhook: WebhookRecord, owner: string): WebhookView {
  return {
    id: webhook.id,
    owner,
    url: webhook.url,
    events: webhook.eventTypes,
    disabled: webhook.disabled,
    createdAt: webhook.createdAt.toISOString(),
  };
}
