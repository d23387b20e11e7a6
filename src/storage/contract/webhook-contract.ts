/** Contract tests of WebhookStore and WebhookDeliveryStore (webhooks and their durable delivery queue). */
import { describe, expect, it } from 'vitest';
import type { Role } from '../../accounts/account.js';
import type { NewDeviceEvent } from '../../devices/device-event.js';
import { routeEvent } from '../../events/webhook-routing.js';
import type { NewWebhook } from '../../events/webhook.js';
import { sealContext } from '../../keyvault/seal-context.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import { appendOutboxEvents } from '../outbox-repository.js';
import type { ContractContext } from './contract-context.js';
import { fixtures } from './fixtures.js';

/** Registers the webhook tests. */
export function describeWebhookContract(ctx: ContractContext): void {
  describe('webhooks', () => {
    /** Well after every row's `createdAt` (the stores' clock is the system's): events route to webhooks made before. */
    const T = Date.now() + 3_600_000;
    const t = (seconds: number) => new Date(T + seconds * 1000);
    const account = (username: string, role: Role = 'owner') =>
      ctx.stores.accounts.create({ id: `id-${username}`, username, passwordHash: 'h', role });
    const webhook = (id: string, ownerId: string, overrides: Partial<NewWebhook> = {}): NewWebhook => ({
      id, ownerId, url: `https://example.com/${id}`, secret: fixtures.sealed(`sealed:${id}`),
      eventTypes: ['device.claimed', 'device.released', 'device.token_changed'], ...overrides,
    });
    const event = (ownerId: string | null, overrides: Partial<NewDeviceEvent> = {}): NewDeviceEvent => ({
      type: 'device.claimed', devEui: fixtures.eui(1), applicationId: 'app-1', ownerId, at: t(0), data: { asId: 'as-1', locked: true, n: 1 }, ...overrides,
    });
    const append = (...events: NewDeviceEvent[]) => appendOutboxEvents(ctx.handle.db, events);
    const route = (now = t(0), limit = 100) => ctx.stores.webhookDeliveries.routeNewEvents(routeEvent, { limit, now });
    const claim = (now: Date, limit = 100) => ctx.stores.webhookDeliveries.claimDue({ now, lockedUntil: new Date(now.getTime() + 30_000), limit });
    const deliveries = (webhookId: string) => ctx.stores.webhookDeliveries.listForWebhook(webhookId);

    it('creates, lists, disables and removes webhooks', async () => {
      await account('olga');
      await account('otto');
      const created = await ctx.stores.webhooks.create(webhook('w1', 'id-olga', { eventTypes: ['device.token_changed'] }));
      expect(created).toMatchObject({ ...webhook('w1', 'id-olga', { eventTypes: ['device.token_changed'] }), disabled: false });
      expect(created.createdAt).toBeInstanceOf(Date);
      await ctx.stores.webhooks.create(webhook('w2', 'id-otto'));
      await ctx.stores.webhooks.create(webhook('w3', 'id-olga'));
      expect(await ctx.stores.webhooks.get('w1')).toEqual(created);
      expect(await ctx.stores.webhooks.get('nope')).toBeNull();
      expect((await ctx.stores.webhooks.listByOwner('id-olga')).map((w) => w.id)).toEqual(['w1', 'w3']);
      expect((await ctx.stores.webhooks.list()).map((w) => w.id)).toEqual(['w1', 'w2', 'w3']);
      await expect(ctx.stores.webhooks.create(webhook('w1', 'id-otto'))).rejects.toBeInstanceOf(AlreadyExistsError);
      await expect(ctx.stores.webhooks.create(webhook('w9', 'id-nobody'))).rejects.toThrow();

      expect(await ctx.stores.webhooks.setDisabled('w1', true)).toBe(true);
      expect((await ctx.stores.webhooks.get('w1'))?.disabled).toBe(true);
      expect(await ctx.stores.webhooks.setDisabled('nope', true)).toBe(false);
      expect(await ctx.stores.webhooks.remove('w1')).toBe(true);
      expect(await ctx.stores.webhooks.remove('w1')).toBe(false);
      expect((await ctx.stores.webhooks.list()).map((w) => w.id)).toEqual(['w2', 'w3']);
    });

    it('routes each outbox event once, to its owner\'s and admins\' enabled webhooks of the type', async () => {
      await account('olga');
      await account('otto');
      await account('root', 'admin');
      await account('gone');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      await ctx.stores.webhooks.create(webhook('w-olga-released', 'id-olga', { eventTypes: ['device.released'] }));
      await ctx.stores.webhooks.create(webhook('w-otto', 'id-otto'));
      await ctx.stores.webhooks.create(webhook('w-root', 'id-root'));
      await ctx.stores.webhooks.create(webhook('w-off', 'id-olga'));
      await ctx.stores.webhooks.setDisabled('w-off', true);
      await ctx.stores.webhooks.create(webhook('w-gone', 'id-gone'));
      await ctx.stores.accounts.setDisabled('gone', true);

      await append(event('id-olga'), event(null, { type: 'device.released' }), event('id-gone'));
      expect(await route()).toBe(3);
      expect(await route()).toBe(0);
      const [claimed, released, ofGone] = (await ctx.handle.db.selectFrom('outbox_events').select('id').orderBy('id').execute()).map((r) => Number(r.id));
      expect(await deliveries('w-olga')).toEqual([
        { webhookId: 'w-olga', eventId: claimed, attempts: 0, nextAttemptAt: t(0), deliveredAt: null, lastError: null },
      ]);
      expect((await deliveries('w-root')).map((d) => d.eventId)).toEqual([claimed, released, ofGone]);
      for (const id of ['w-olga-released', 'w-otto', 'w-off', 'w-gone']) expect(await deliveries(id)).toEqual([]);
    });

    it('routes an event committed after higher ids were routed (no cursor to skip it)', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      const insert = (id: number) => ctx.handle.db.insertInto('outbox_events').values({
        id, type: 'device.claimed', dev_eui: fixtures.eui(1), application_id: null, owner_id: 'id-olga', payload: '{}', created_at: t(0).toISOString(),
      }).execute();
      // Far above what the PostgreSQL sequence hands out in a test run (the database is reused).
      await insert(2_000_000_000);
      expect(await route()).toBe(1);
      await insert(1_000_000_000);
      expect(await route()).toBe(1);
      expect((await deliveries('w-olga')).map((d) => d.eventId)).toEqual([1_000_000_000, 2_000_000_000]);
    });

    it('routes in batches, oldest first', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      await append(...Array.from({ length: 5 }, (_, i) => event('id-olga', { devEui: fixtures.eui(i) })));
      expect(await route(t(0), 2)).toBe(2);
      expect(await deliveries('w-olga')).toHaveLength(2);
      expect(await route(t(0), 2)).toBe(2);
      expect(await route(t(0), 2)).toBe(1);
      expect(await route(t(0), 2)).toBe(0);
      expect(await deliveries('w-olga')).toHaveLength(5);
    });

    it('claims a due delivery under a lease, with the event, the URL and the sealed secret', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      await append(event('id-olga'));
      await route(t(0));
      expect(await claim(t(-1))).toEqual([]);
      const [due, ...rest] = await claim(t(0));
      expect(rest).toEqual([]);
      expect(due).toMatchObject({
        webhookId: 'w-olga', url: 'https://example.com/w-olga', secret: 'sealed:w-olga', attempts: 0, lockedUntil: t(30),
        event: { type: 'device.claimed', devEui: fixtures.eui(1), applicationId: 'app-1', ownerId: 'id-olga', at: t(0), data: { asId: 'as-1', locked: true, n: 1 } },
      });
      expect(await claim(t(1))).toEqual([]);
      expect(await claim(t(29))).toEqual([]);
      // The lease ran out (the process died): another claim takes it, with a new lease.
      const [again] = await claim(t(31));
      expect(again).toMatchObject({ webhookId: 'w-olga', lockedUntil: t(61) });
      // The first claimant's outcome is refused: it no longer holds the lease.
      const eventId = due!.event.id;
      expect(await ctx.stores.webhookDeliveries.recordAttempt({ ...due!, eventId }, { kind: 'delivered', at: t(32) })).toBe(false);
      expect(await ctx.stores.webhookDeliveries.recordAttempt({ ...again!, eventId }, { kind: 'delivered', at: t(32) })).toBe(true);
      expect(await deliveries('w-olga')).toEqual([
        { webhookId: 'w-olga', eventId, attempts: 1, nextAttemptAt: null, deliveredAt: t(32), lastError: null },
      ]);
      expect(await claim(t(3600))).toEqual([]);
    });

    it('records retries, giving up and releases', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      await append(event('id-olga'));
      await route(t(0));
      const record = async (now: Date, outcome: Parameters<typeof ctx.stores.webhookDeliveries.recordAttempt>[1]) => {
        const [due] = await claim(now);
        expect(due).toBeDefined();
        expect(await ctx.stores.webhookDeliveries.recordAttempt({ ...due!, eventId: due!.event.id }, outcome)).toBe(true);
        return due!;
      };
      await record(t(0), { kind: 'retry', at: t(0), nextAttemptAt: t(1), error: 'HTTP 500' });
      expect((await deliveries('w-olga'))[0]).toMatchObject({ attempts: 1, nextAttemptAt: t(1), lastError: 'HTTP 500' });
      expect(await claim(t(0.5))).toEqual([]);
      expect((await record(t(1), { kind: 'released' })).attempts).toBe(1);
      expect((await deliveries('w-olga'))[0]).toMatchObject({ attempts: 1, nextAttemptAt: t(1), lastError: 'HTTP 500' });
      expect((await record(t(1), { kind: 'retry', at: t(1), nextAttemptAt: t(3), error: 'x'.repeat(2000) })).attempts).toBe(1);
      expect((await deliveries('w-olga'))[0]?.lastError).toHaveLength(500);
      expect((await record(t(3), { kind: 'gave_up', at: t(3), error: 'connection refused; gave up after 3 attempts' })).attempts).toBe(2);
      expect((await deliveries('w-olga'))[0]).toMatchObject({
        attempts: 3, nextAttemptAt: null, deliveredAt: null, lastError: 'connection refused; gave up after 3 attempts',
      });
      expect(await claim(t(1_000_000))).toEqual([]);
    });

    it('holds back deliveries of a disabled webhook or account, and drops those of a removed webhook', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga'));
      await append(event('id-olga'));
      await route(t(0));
      await ctx.stores.webhooks.setDisabled('w-olga', true);
      expect(await claim(t(0))).toEqual([]);
      await ctx.stores.webhooks.setDisabled('w-olga', false);
      await ctx.stores.accounts.setDisabled('olga', true);
      expect(await claim(t(0))).toEqual([]);
      await ctx.stores.accounts.setDisabled('olga', false);
      expect(await claim(t(0))).toHaveLength(1);
      await ctx.stores.webhooks.remove('w-olga');
      expect(await deliveries('w-olga')).toEqual([]);
      expect(await claim(t(3600))).toEqual([]);
    });

    it('never hands the same delivery to two concurrent claims', async () => {
      await account('olga');
      for (let w = 0; w < 3; w++) await ctx.stores.webhooks.create(webhook(`w${w}`, 'id-olga'));
      await append(...Array.from({ length: 10 }, (_, i) => event('id-olga', { devEui: fixtures.eui(i) })));
      const routed = await Promise.all(Array.from({ length: 4 }, () => route(t(0), 3)));
      expect(routed.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
      while ((await route(t(0), 3)) > 0);
      const claims = await Promise.all(Array.from({ length: 8 }, () => claim(t(0), 5)));
      const keys = claims.flat().map((d) => `${d.webhookId}/${d.event.id}`);
      expect(new Set(keys).size).toBe(keys.length);
      const rest = await claim(t(0), 100);
      expect(keys.length + rest.length).toBe(30);
    });

    it('re-seals webhook secrets on master-key rotation, under webhook:<id>:secret', async () => {
      await account('olga');
      await ctx.stores.webhooks.create(webhook('w-olga', 'id-olga', { secret: fixtures.sealed('old:w-olga') }));
      const contexts: string[] = [];
      await ctx.stores.sealedValues.resealAll((sealed, context) => {
        if (!sealed.startsWith('old:')) return null;
        contexts.push(context);
        return fixtures.sealed(`new:${context}`);
      }, { batchSize: 10 });
      expect(contexts).toContain(sealContext.webhookSecret('w-olga'));
      expect((await ctx.stores.webhooks.get('w-olga'))?.secret).toBe(`new:${sealContext.webhookSecret('w-olga')}`);
    });
  });
}
