import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../devices/device-event.js';
import type { WebhookSubscriber } from './webhook.js';
import { routeEvent } from './webhook-routing.js';

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
const event = (overrides: Partial<DeviceEvent> = {}): DeviceEvent => ({
  id: 7, type: 'device.claimed', devEui: '0004A310001FF9DA', applicationId: 'app-1', ownerId: 'id-olga', at: at(10), data: {}, ...overrides,
});
const hook = (id: string, ownerId: string, overrides: Partial<WebhookSubscriber> = {}): WebhookSubscriber => ({
  id, ownerId, ownerRole: 'owner', eventTypes: ['device.claimed', 'device.released', 'device.token_changed'], createdAt: at(0), ...overrides,
});

describe('routing events to webhooks', () => {
  const olga = hook('w-olga', 'id-olga');
  const olgaClaimsOnly = hook('w-olga-claims', 'id-olga', { eventTypes: ['device.claimed'] });
  const otto = hook('w-otto', 'id-otto');
  const maker = hook('w-maker', 'id-maker', { ownerRole: 'provisioner' });
  const admin = hook('w-admin', 'id-admin', { ownerRole: 'admin' });
  const all = [olga, olgaClaimsOnly, otto, maker, admin];

  it('sends an event to its owner\'s webhooks and to admins\', never to another account\'s', () => {
    expect(routeEvent(event(), all)).toEqual(['w-olga', 'w-olga-claims', 'w-admin']);
  });

  it('sends only the types a webhook subscribed to', () => {
    expect(routeEvent(event({ type: 'device.released' }), all)).toEqual(['w-olga', 'w-admin']);
  });

  it('sends a maker\'s event (an unclaimed device) to the maker', () => {
    expect(routeEvent(event({ type: 'device.token_changed', ownerId: 'id-maker', applicationId: null }), all)).toEqual(['w-maker', 'w-admin']);
  });

  it('sends an event without owner to admins only', () => {
    expect(routeEvent(event({ ownerId: null }), all)).toEqual(['w-admin']);
  });

  it('does not replay events that happened before a webhook was registered', () => {
    const late = hook('w-late', 'id-olga', { createdAt: at(11) });
    expect(routeEvent(event(), [late, olga])).toEqual(['w-olga']);
    expect(routeEvent(event({ at: at(11) }), [late])).toEqual(['w-late']);
  });
});
