import type { Role } from '../accounts/account.js';
import type { DeviceEvent, DeviceEventType } from '../devices/device-event.js';
import type { Sealed } from '../devices/device.js';

/**
 * Webhooks: HTTPS (or HTTP) endpoints an account registered to receive device events, each
 * signed with a secret shared with the receiver (docs/events.md). The secret is sealed at rest
 * under `webhook:<id>:secret` (see keyvault/seal-context.ts).
 */
export interface WebhookRecord {
  /** Random, not secret: shown in lists, used to remove the webhook. */
  readonly id: string;
  /** The account that registered it: it receives that account's events (all events for an admin). */
  readonly ownerId: string;
  readonly url: string;
  /** The signing secret (`whsec_…`), sealed under `webhook:<id>:secret`. */
  readonly secret: Sealed;
  /** The event types it receives; never empty. */
  readonly eventTypes: readonly DeviceEventType[];
  readonly createdAt: Date;
  /** A disabled webhook gets no new deliveries, and pending ones wait until it is enabled again. */
  readonly disabled: boolean;
}

export type NewWebhook = Omit<WebhookRecord, 'createdAt' | 'disabled'>;

/** Storage port for webhooks. */
export interface WebhookStore {
  /** Throws AlreadyExistsError (`already_exists`) when the id is taken. */
  create(webhook: NewWebhook): Promise<WebhookRecord>;
  get(id: string): Promise<WebhookRecord | null>;
  /** The account's webhooks, oldest first. */
  listByOwner(ownerId: string): Promise<WebhookRecord[]>;
  /** Every webhook, oldest first. */
  list(): Promise<WebhookRecord[]>;
  /** Removes the webhook and its pending deliveries; false when there is none. */
  remove(id: string): Promise<boolean>;
  /** False when there is no such webhook. */
  setDisabled(id: string, disabled: boolean): Promise<boolean>;
}

/** What routing needs to know of a webhook: see webhook-routing.ts. */
export interface WebhookSubscriber {
  readonly id: string;
  readonly ownerId: string;
  /** The role of the owning account: an admin's webhooks receive every account's events. */
  readonly ownerRole: Role;
  readonly eventTypes: readonly DeviceEventType[];
  readonly createdAt: Date;
}

/**
 * Picks, for one event, the webhooks that receive it (ids). Called by the storage inside the
 * transaction that records the deliveries; a pure function (webhook-routing.ts).
 */
export type RouteEvent = (event: DeviceEvent, subscribers: readonly WebhookSubscriber[]) => readonly string[];

/** A delivery claimed for one attempt, with what sending it needs. */
export interface DueDelivery {
  readonly webhookId: string;
  readonly url: string;
  readonly secret: Sealed;
  readonly event: DeviceEvent;
  /** Attempts made before this one. */
  readonly attempts: number;
  /**
   * The lease: until then no other dispatcher claims the delivery. Also the fencing token that
   * {@link WebhookDeliveryStore.recordAttempt} checks.
   */
  readonly lockedUntil: Date;
}

/** What one attempt came to. */
export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly at: Date }
  | { readonly kind: 'retry'; readonly at: Date; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly kind: 'gave_up'; readonly at: Date; readonly error: string }
  /** Not attempted after all (the dispatcher stopped): the lease is released, the attempt not counted. */
  | { readonly kind: 'released' };

/** A delivery's state, for tests and listings. */
export interface DeliveryState {
  readonly webhookId: string;
  readonly eventId: number;
  readonly attempts: number;
  /** Null once delivered or given up. */
  readonly nextAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly lastError: string | null;
}

/** Storage port of the delivery queue: durable, shared by every `deed serve` on one database. */
export interface WebhookDeliveryStore {
  /**
   * Creates delivery rows for outbox events not yet routed, at most `limit` events, oldest
   * first, in one transaction that also marks them routed; `route` picks the webhooks of each
   * event among the enabled webhooks of enabled accounts. Processes sharing the database route
   * disjoint events (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite). Returns how many
   * events were routed.
   */
  routeNewEvents(route: RouteEvent, options: { readonly limit: number; readonly now: Date }): Promise<number>;
  /**
   * Claims up to `limit` due deliveries (next attempt at or before `now`, not delivered, not
   * leased, webhook and account enabled) by setting their lease to `lockedUntil`, atomically:
   * no two processes claim the same delivery while its lease runs.
   */
  claimDue(options: { readonly now: Date; readonly lockedUntil: Date; readonly limit: number }): Promise<DueDelivery[]>;
  /**
   * Records an attempt of a claimed delivery. Does nothing (false) when the lease is no longer
   * the one claimed (it expired and another process claimed the delivery).
   */
  recordAttempt(delivery: Pick<DueDelivery, 'webhookId' | 'lockedUntil'> & { readonly eventId: number }, outcome: AttemptOutcome): Promise<boolean>;
  /** The deliveries of one webhook, by event id. */
  listForWebhook(webhookId: string): Promise<DeliveryState[]>;
}
