import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../devices/device-event.js';
import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import { type PostResult, type WebhookPoster, createWebhookDispatcher, LEASE_MARGIN_MS } from './webhook-dispatcher.js';
import type { AttemptOutcome, DeliveryState, DueDelivery, WebhookDeliveryStore, WebhookSubscriber } from './webhook.js';
import type { WebhookRequest } from './webhook-request.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const T0 = Date.UTC(2030, 0, 1);
const SECRET = 'whsec_unit-test-secret';

/** A vault that "seals" by prefixing the context, so a wrong context fails to open. */
const vault = {
  seal: (plaintext: Uint8Array, context: string) => `${context}|${Buffer.from(plaintext).toString('utf8')}` as Sealed,
  open(sealed: Sealed, context: string): Uint8Array {
    if (!sealed.startsWith(`${context}|`)) throw new Error('wrong context');
    return Buffer.from(sealed.slice(context.length + 1), 'utf8');
  },
};

interface Row {
  webhookId: string;
  event: DeviceEvent;
  attempts: number;
  nextAttemptAt: number | null;
  lockedUntil: number | null;
  deliveredAt: number | null;
  lastError: string | null;
}

/** An in-memory WebhookDeliveryStore with the semantics of the real one (see the storage contract). */
function memoryStore(subscribers: WebhookSubscriber[], secrets: Record<string, Sealed>) {
  const outbox: { event: DeviceEvent; routed: boolean }[] = [];
  const rows: Row[] = [];
  const store: WebhookDeliveryStore & { append(event: DeviceEvent): void; rows: Row[] } = {
    rows,
    append: (event) => outbox.push({ event, routed: false }),
    async routeNewEvents(route, { limit, now }) {
      const batch = outbox.filter((e) => !e.routed).slice(0, limit);
      for (const entry of batch) {
        entry.routed = true;
        for (const webhookId of route(entry.event, subscribers)) {
          rows.push({ webhookId, event: entry.event, attempts: 0, nextAttemptAt: now.getTime(), lockedUntil: null, deliveredAt: null, lastError: null });
        }
      }
      return batch.length;
    },
    async claimDue({ now, lockedUntil, limit }) {
      const due = rows.filter((r) => r.nextAttemptAt !== null && r.nextAttemptAt <= now.getTime() && (r.lockedUntil === null || r.lockedUntil < now.getTime()))
        .slice(0, limit);
      return due.map((r): DueDelivery => {
        r.lockedUntil = lockedUntil.getTime();
        return { webhookId: r.webhookId, url: `https://receiver.example/${r.webhookId}`, secret: secrets[r.webhookId]!, event: r.event, attempts: r.attempts, lockedUntil };
      });
    },
    async recordAttempt(delivery, outcome: AttemptOutcome) {
      const row = rows.find((r) => r.webhookId === delivery.webhookId && r.event.id === delivery.eventId);
      if (row === undefined || row.lockedUntil !== delivery.lockedUntil.getTime()) return false;
      row.lockedUntil = null;
      if (outcome.kind === 'released') return true;
      row.attempts += 1;
      row.nextAttemptAt = outcome.kind === 'retry' ? outcome.nextAttemptAt.getTime() : null;
      row.deliveredAt = outcome.kind === 'delivered' ? outcome.at.getTime() : null;
      row.lastError = outcome.kind === 'delivered' ? null : outcome.error;
      return true;
    },
    async listForWebhook(webhookId): Promise<DeliveryState[]> {
      return rows.filter((r) => r.webhookId === webhookId).map((r) => ({
        webhookId: r.webhookId, eventId: r.event.id, attempts: r.attempts,
        nextAttemptAt: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt),
        deliveredAt: r.deliveredAt === null ? null : new Date(r.deliveredAt), lastError: r.lastError,
      }));
    },
  };
  return store;
}

function setup(options: { answers?: (PostResult | Error)[]; maxAttempts?: number; post?: WebhookPoster; secrets?: Record<string, Sealed> } = {}) {
  let now = T0;
  const clock = { now: () => new Date(now), advance: (ms: number) => { now += ms; } };
  const subscribers: WebhookSubscriber[] = [
    { id: 'w-olga', ownerId: 'id-olga', ownerRole: 'owner', eventTypes: ['device.claimed', 'device.token_changed'], createdAt: new Date(T0 - 1000) },
    { id: 'w-otto', ownerId: 'id-otto', ownerRole: 'owner', eventTypes: ['device.claimed'], createdAt: new Date(T0 - 1000) },
  ];
  const secrets = {
    'w-olga': vault.seal(Buffer.from(SECRET), sealContext.webhookSecret('w-olga')),
    'w-otto': vault.seal(Buffer.from('whsec_otto'), sealContext.webhookSecret('w-otto')),
    ...options.secrets,
  };
  const store = memoryStore(subscribers, secrets);
  const requests: { request: WebhookRequest; at: number }[] = [];
  const answers = [...(options.answers ?? [])];
  const post: WebhookPoster = options.post ?? (async (request) => {
    requests.push({ request, at: now });
    const answer = answers.shift() ?? { status: 200 };
    if (answer instanceof Error) throw answer;
    return answer;
  });
  const dispatcher = createWebhookDispatcher({
    deliveries: store, vault, post, clock,
    settings: { pollIntervalMs: 10, timeoutMs: 1000, retry: { maxAttempts: options.maxAttempts ?? 5, baseDelayMs: 1000, maxDelayMs: 4000 } },
    userAgent: 'Deed/test',
  });
  const event = (id: number, overrides: Partial<DeviceEvent> = {}): DeviceEvent => ({
    id, type: 'device.claimed', devEui: '0004A310001FF9DA', applicationId: 'app-1', ownerId: 'id-olga',
    at: new Date(T0), data: { asId: 'as-1', locked: false }, ...overrides,
  });
  return { clock, store, requests, dispatcher, event };
}

describe('webhook dispatcher', () => {
  it('POSTs the event, signed, to its owner\'s webhook only, once', async () => {
    const { store, requests, dispatcher, event, clock } = setup();
    store.append(event(1));
    expect(await dispatcher.runOnce()).toEqual({ routed: 1, attempted: 1, delivered: 1 });
    expect(requests).toHaveLength(1);
    const { request } = requests[0]!;
    expect(request.url).toBe('https://receiver.example/w-olga');
    expect(JSON.parse(request.body)).toEqual({
      id: '1', type: 'device.claimed', devEui: '0004A310001FF9DA', applicationId: 'app-1', at: new Date(T0).toISOString(),
      data: { asId: 'as-1', locked: false },
    });
    expect(request.headers).toMatchObject({
      'content-type': 'application/json', 'user-agent': 'Deed/test',
      'deed-event-id': '1', 'deed-event-type': 'device.claimed', 'deed-delivery-attempt': '1',
    });
    expect(request.headers['deed-signature']).toMatch(new RegExp(`^t=${T0 / 1000},v1=[0-9a-f]{64}$`));
    expect(verifyWebhookSignature(SECRET, request.headers['deed-signature'], request.body, { nowSeconds: T0 / 1000 })).toBe(true);
    expect(verifyWebhookSignature('whsec_otto', request.headers['deed-signature'], request.body, { nowSeconds: T0 / 1000 })).toBe(false);

    clock.advance(60_000);
    expect(await dispatcher.runOnce()).toEqual({ routed: 0, attempted: 0, delivered: 0 });
    expect(await store.listForWebhook('w-olga')).toEqual([
      { webhookId: 'w-olga', eventId: 1, attempts: 1, nextAttemptAt: null, deliveredAt: new Date(T0), lastError: null },
    ]);
    expect(await store.listForWebhook('w-otto')).toEqual([]);
  });

  it('retries a failed delivery after 1 s, 2 s, 4 s, with a new signature and attempt number each time', async () => {
    const { store, requests, dispatcher, event, clock } = setup({
      answers: [{ status: 500 }, { error: 'connection refused' }, { status: 302 }, { status: 204 }],
    });
    store.append(event(1));
    await dispatcher.runOnce();
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({ attempts: 1, nextAttemptAt: new Date(T0 + 1000), lastError: 'HTTP 500' });

    clock.advance(999);
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    clock.advance(1);
    await dispatcher.runOnce();
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({ attempts: 2, nextAttemptAt: new Date(T0 + 3000), lastError: 'connection refused' });
    clock.advance(2000);
    await dispatcher.runOnce();
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({ attempts: 3, nextAttemptAt: new Date(T0 + 7000), lastError: 'HTTP 302' });
    clock.advance(4000);
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 1, delivered: 1 });
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({ attempts: 4, nextAttemptAt: null, deliveredAt: new Date(T0 + 7000), lastError: null });

    expect(requests.map((r) => r.request.headers['deed-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(requests.map((r) => r.at - T0)).toEqual([0, 1000, 3000, 7000]);
    expect(new Set(requests.map((r) => r.request.headers['deed-event-id']))).toEqual(new Set(['1']));
    const last = requests[3]!.request;
    expect(last.headers['deed-signature']).toContain(`t=${(T0 + 7000) / 1000},`);
    expect(verifyWebhookSignature(SECRET, last.headers['deed-signature'], last.body, { nowSeconds: (T0 + 7000) / 1000 })).toBe(true);
  });

  it('gives up after the last attempt, keeping the last error', async () => {
    const { store, requests, dispatcher, event, clock } = setup({ maxAttempts: 3, answers: [{ status: 500 }, { status: 503 }, { status: 400 }, { status: 200 }] });
    store.append(event(1));
    for (let i = 0; i < 6; i++) {
      await dispatcher.runOnce();
      clock.advance(10_000);
    }
    expect(requests).toHaveLength(3);
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({
      attempts: 3, nextAttemptAt: null, deliveredAt: null, lastError: 'HTTP 400; gave up after 3 attempts',
    });
  });

  it('caps the wait between attempts', async () => {
    const { store, dispatcher, event, clock } = setup({ maxAttempts: 10, answers: Array.from({ length: 9 }, () => ({ status: 500 })) });
    store.append(event(1));
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      await dispatcher.runOnce();
      const next = (await store.listForWebhook('w-olga'))[0]!.nextAttemptAt!.getTime();
      waits.push(next - clock.now().getTime());
      clock.advance(next - clock.now().getTime());
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('counts a thrown poster error as a failed attempt, saying nothing of it', async () => {
    const { store, dispatcher, event } = setup({ answers: [new Error(`boom ${SECRET}`)] });
    store.append(event(1));
    await dispatcher.runOnce();
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({ attempts: 1, lastError: 'request failed' });
  });

  it('does not send when the secret does not open (wrong row or missing master key), and retries later', async () => {
    const { store, requests, dispatcher, event } = setup({ secrets: { 'w-olga': vault.seal(Buffer.from(SECRET), sealContext.webhookSecret('w-otto')) } });
    store.append(event(1));
    await dispatcher.runOnce();
    expect(requests).toHaveLength(0);
    expect((await store.listForWebhook('w-olga'))[0]).toMatchObject({
      attempts: 1, nextAttemptAt: new Date(T0 + 1000), lastError: 'the webhook secret cannot be opened (is its master key in the key ring?)',
    });
  });

  it('holds a lease while attempting: a second dispatcher on the same queue does not send the same delivery', async () => {
    const { store, requests, event, clock } = setup();
    let release: () => void = () => undefined;
    const slow: WebhookPoster = async (request) => {
      requests.push({ request, at: clock.now().getTime() });
      await new Promise<void>((resolve) => { release = resolve; });
      return { status: 200 };
    };
    const settings = { pollIntervalMs: 10, timeoutMs: 1000, retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 4000 } };
    const a = createWebhookDispatcher({ deliveries: store, vault, post: slow, clock, settings });
    const b = createWebhookDispatcher({ deliveries: store, vault, post: slow, clock, settings });
    store.append(event(1));
    const first = a.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(1000 + LEASE_MARGIN_MS - 1);
    expect(await b.runOnce()).toEqual({ routed: 0, attempted: 0, delivered: 0 });
    release();
    expect(await first).toMatchObject({ delivered: 1 });
    expect(requests).toHaveLength(1);
  });

  it('stops cleanly: polling ends, a request in flight is aborted and its delivery released uncounted', async () => {
    let aborted = false;
    const hanging: WebhookPoster = (_request, { signal }) => new Promise<PostResult>((resolve) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        resolve({ error: 'aborted' });
      });
    });
    const { store, dispatcher, event } = setup({ post: hanging });
    store.append(event(1));
    dispatcher.start();
    await waitFor(() => store.rows[0]?.lockedUntil !== null && store.rows.length === 1);
    await dispatcher.stop();
    expect(aborted).toBe(true);
    expect(store.rows[0]).toMatchObject({ attempts: 0, lockedUntil: null, nextAttemptAt: T0 });
    store.append(event(2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.rows).toHaveLength(1);
  });

  it('polls while started', async () => {
    const { store, requests, dispatcher, event } = setup();
    dispatcher.start();
    try {
      store.append(event(1));
      await waitFor(() => requests.length === 1);
      store.append(event(2, { type: 'device.token_changed' }));
      await waitFor(() => requests.length === 2);
      expect(requests.map((r) => r.request.headers['deed-event-type'])).toEqual(['device.claimed', 'device.token_changed']);
    } finally {
      await dispatcher.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
