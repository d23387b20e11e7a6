/**
 * Events a user can consume: webhooks registered per account, fed from the durable outbox that
 * device changes write in their own transaction, delivered signed, retried with backoff
 * (docs/events.md). The HTTP client is an adapter (transport/webhook/) wired in main.ts.
 */
export type {
  AttemptOutcome, DeliveryState, DueDelivery, NewWebhook, RouteEvent, WebhookDeliveryStore, WebhookRecord, WebhookStore, WebhookSubscriber,
} from './webhook.js';
export { routeEvent } from './webhook-routing.js';
export { DEFAULT_RETRY_POLICY, retryDelayMs, retrySchedule, type RetryPolicy } from './retry-schedule.js';
export { DEFAULT_SIGNATURE_TOLERANCE_SECONDS, SIGNATURE_HEADER, signWebhook, verifyWebhookSignature } from './webhook-signature.js';
export { webhookPayload, webhookRequest, type WebhookPayload, type WebhookRequest } from './webhook-request.js';
export {
  LEASE_MARGIN_MS,
  createWebhookDispatcher,
  type DispatchRound,
  type DispatcherLog,
  type PostResult,
  type WebhookDispatcher,
  type WebhookDispatcherDeps,
  type WebhookDispatcherSettings,
  type WebhookPoster,
} from './webhook-dispatcher.js';
export {
  MAX_WEBHOOKS_PER_ACCOUNT,
  WEBHOOK_SECRET_PREFIX,
  createWebhook,
  listWebhooks,
  parseEventTypes,
  parseWebhookUrl,
  removeWebhook,
  setWebhookDisabled,
  type CreateWebhookInput,
  type WebhookAdminDeps,
} from './manage-webhooks.js';
export { toWebhookView, type WebhookView } from './webhook-view.js';
