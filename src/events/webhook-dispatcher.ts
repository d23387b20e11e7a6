import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import { type RetryPolicy, retryDelayMs } from './retry-schedule.js';
import type { AttemptOutcome, DueDelivery, WebhookDeliveryStore } from './webhook.js';
import { type WebhookRequest, webhookRequest } from './webhook-request.js';
import { routeEvent } from './webhook-routing.js';

/**
 * The HTTP client adapter (transport/webhook/fetch-webhook-poster.ts in the server): POSTs the
 * request, gives up after `timeoutMs` or when `signal` aborts. Answers the status, or a short
 * description of the failure that never contains the URL or a header.
 */
export type WebhookPoster = (
  request: WebhookRequest,
  options: { readonly timeoutMs: number; readonly signal: AbortSignal },
) => Promise<PostResult>;

/** A response status, or why there was none (`connection refused`, `timed out after 10000 ms`, …). */
export type PostResult = { readonly status: number } | { readonly error: string };

/** Tuning of the dispatcher (settings `webhooks.*`). */
export interface WebhookDispatcherSettings {
  /** How often the outbox and the delivery queue are polled while idle, ms. */
  readonly pollIntervalMs: number;
  /** How long one POST may take, ms. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  /** Events routed, and deliveries attempted at once, per round. Default 20. */
  readonly batchSize?: number;
}

/** Log lines of the dispatcher (pino's `warn` and `debug` fit). */
export interface DispatcherLog {
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

/** What the dispatcher needs; wired in main.ts. */
export interface WebhookDispatcherDeps {
  readonly deliveries: WebhookDeliveryStore;
  readonly vault: { open(sealed: Sealed, context: string): Uint8Array };
  readonly post: WebhookPoster;
  readonly clock: { now(): Date };
  readonly settings: WebhookDispatcherSettings;
  readonly log?: DispatcherLog;
  /** `User-Agent` of the requests. Default `Deed`. */
  readonly userAgent?: string;
}

/** What one round did. */
export interface DispatchRound {
  /** Outbox events routed to webhooks (whether or not any webhook wanted them). */
  readonly routed: number;
  /** Deliveries attempted. */
  readonly attempted: number;
  readonly delivered: number;
}

/** A running (or runnable) dispatcher. */
export interface WebhookDispatcher {
  /** One round: route new outbox events, then claim and attempt due deliveries. */
  runOnce(): Promise<DispatchRound>;
  /** Runs rounds every `pollIntervalMs` (at once again when a round found a full batch). */
  start(): void;
  /** Stops polling, aborts requests in flight (their deliveries are released, not counted) and waits for the round to end. */
  stop(): Promise<void>;
}

/**
 * A lease is the request timeout plus this margin (time to record the outcome): a delivery
 * claimed by a process that dies is attempted again once its lease has run out.
 */
export const LEASE_MARGIN_MS = 10_000;

const DEFAULT_BATCH_SIZE = 20;
/** Routing rounds per dispatch round at most, so a burst of events does not starve deliveries. */
const MAX_ROUTING_BATCHES = 10;

/**
 * The webhook dispatcher: moves events from the durable outbox to webhooks. Each round it
 * routes new outbox events into per-webhook delivery rows (webhook-routing.ts), claims due
 * deliveries under a lease, POSTs each signed event and records the outcome: 2xx is delivered,
 * anything else (or no answer) is retried with exponential backoff until the policy gives up.
 * Delivery is at least once: a crash after the receiver answered and before the outcome was
 * recorded repeats the attempt, with the same `Deed-Event-Id`.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { settings } = deps;
  const batchSize = settings.batchSize ?? DEFAULT_BATCH_SIZE;
  const userAgent = deps.userAgent ?? 'Deed';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> | undefined;
  const abort = new AbortController();

  async function attempt(delivery: DueDelivery): Promise<AttemptOutcome> {
    if (stopped) return { kind: 'released' };
    const number = delivery.attempts + 1;
    let result: PostResult;
    try {
      const secret = openSecret(deps.vault, delivery);
      const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
      result = await deps.post(webhookRequest({ url: delivery.url, secret }, delivery.event, number, timestamp, userAgent), {
        timeoutMs: settings.timeoutMs, signal: abort.signal,
      });
    } catch (error) {
      result = { error: error instanceof SecretUnavailable ? error.message : 'request failed' };
    }
    if (stopped && 'error' in result) return { kind: 'released' };
    const at = deps.clock.now();
    if ('status' in result && result.status >= 200 && result.status < 300) return { kind: 'delivered', at };
    const error = 'status' in result ? `HTTP ${result.status}` : result.error;
    const delay = retryDelayMs(settings.retry, number);
    if (delay === null) return { kind: 'gave_up', at, error: `${error}; gave up after ${number} attempts` };
    return { kind: 'retry', at, nextAttemptAt: new Date(at.getTime() + delay), error };
  }

  async function deliver(delivery: DueDelivery): Promise<boolean> {
    const outcome = await attempt(delivery);
    const recorded = await deps.deliveries.recordAttempt({ ...delivery, eventId: delivery.event.id }, outcome);
    const fields = { webhookId: delivery.webhookId, eventId: delivery.event.id, attempt: delivery.attempts + 1, outcome: outcome.kind };
    if (!recorded) deps.log?.warn(fields, 'webhook delivery lease expired before its outcome was recorded');
    else if (outcome.kind === 'retry' || outcome.kind === 'gave_up') deps.log?.warn({ ...fields, error: outcome.error }, 'webhook delivery failed');
    else deps.log?.debug(fields, 'webhook delivery attempted');
    return outcome.kind === 'delivered';
  }

  async function runOnce(): Promise<DispatchRound & { full: boolean }> {
    let routed = 0;
    let full = false;
    for (let batch = 0; batch < MAX_ROUTING_BATCHES && !stopped; batch += 1) {
      const n = await deps.deliveries.routeNewEvents(routeEvent, { limit: batchSize, now: deps.clock.now() });
      routed += n;
      full = n === batchSize;
      if (!full) break;
    }
    if (stopped) return { routed, attempted: 0, delivered: 0, full: false };
    const now = deps.clock.now();
    const due = await deps.deliveries.claimDue({
      now, lockedUntil: new Date(now.getTime() + settings.timeoutMs + LEASE_MARGIN_MS), limit: batchSize,
    });
    const results = await Promise.all(due.map(deliver));
    return { routed, attempted: due.length, delivered: results.filter(Boolean).length, full: full || due.length === batchSize };
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      const current = runOnce().then(
        (result) => (result.full ? 0 : settings.pollIntervalMs),
        (error: unknown) => {
          deps.log?.warn({ error: error instanceof Error ? error.message : String(error) }, 'webhook dispatch round failed');
          return settings.pollIntervalMs;
        },
      );
      round = current;
      void current.then((next) => {
        round = undefined;
        schedule(next);
      });
    }, delayMs);
    timer.unref();
  }

  return {
    async runOnce() {
      const { routed, attempted, delivered } = await runOnce();
      return { routed, attempted, delivered };
    },
    start() {
      if (timer === undefined && round === undefined) schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      await round;
    },
  };
}

class SecretUnavailable extends Error {}

/** The webhook's secret as text; a secret that cannot be opened fails the attempt (retried later). */
function openSecret(vault: WebhookDispatcherDeps['vault'], delivery: DueDelivery): string {
  let bytes: Uint8Array;
  try {
    bytes = vault.open(delivery.secret, sealContext.webhookSecret(delivery.webhookId));
  } catch {
    throw new SecretUnavailable('the webhook secret cannot be opened (is its master key in the key ring?)');
  }
  const secret = Buffer.from(bytes).toString('utf8');
  bytes.fill(0);
  return secret;
}
