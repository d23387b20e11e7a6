import { describe, expect, it } from 'vitest';
import type { NewPeer, PeerRecord, PeerStore } from './peer.js';
import { cachePeerLookups } from './peer-cache.js';

/** An in-memory PeerStore that counts how often it is asked. */
function countingStore() {
  const peers = new Map<string, PeerRecord>();
  const calls = { get: 0, token: 0, cert: 0 };
  const store: PeerStore = {
    async create(peer: NewPeer) {
      const record = { ...peer, applicationId: peer.applicationId ?? null, createdAt: new Date(0) };
      peers.set(peer.id, record);
      return record;
    },
    async get(id) { calls.get++; return peers.get(id) ?? null; },
    async list() { return [...peers.values()]; },
    async remove(id) { return peers.delete(id); },
    async findByTokenHash(hash) { calls.token++; return [...peers.values()].find((p) => p.tokenHash === hash) ?? null; },
    async findByCertFingerprint(fp) { calls.cert++; return [...peers.values()].find((p) => p.certFingerprint === fp) ?? null; },
  };
  return { store, calls };
}

const ns: NewPeer = {
  id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null,
  tokenHash: 'aa', certFingerprint: 'BB', kekLabel: null, kek: null,
};

describe('cachePeerLookups', () => {
  it('answers repeated lookups from memory until the TTL passes', async () => {
    const { store, calls } = countingStore();
    let now = 1000;
    const cached = cachePeerLookups(store, { ttlMs: 1000, now: () => now });
    await cached.create(ns);
    for (let i = 0; i < 5; i++) {
      expect((await cached.findByTokenHash('aa'))?.id).toBe('ns:000013');
      expect((await cached.get('ns:000013'))?.id).toBe('ns:000013');
      expect((await cached.findByCertFingerprint('BB'))?.id).toBe('ns:000013');
    }
    expect(calls).toEqual({ get: 1, token: 1, cert: 1 });
    now += 1001;
    await cached.findByTokenHash('aa');
    expect(calls.token).toBe(2);
  });

  it('never remembers a miss, so a new peer works at once', async () => {
    const { store, calls } = countingStore();
    const cached = cachePeerLookups(store);
    expect(await cached.findByTokenHash('aa')).toBeNull();
    expect(await cached.findByTokenHash('aa')).toBeNull();
    expect(calls.token).toBe(2);
    await store.create(ns);
    expect((await cached.findByTokenHash('aa'))?.id).toBe('ns:000013');
  });

  it('forgets everything when a peer is removed through it', async () => {
    const { store } = countingStore();
    const cached = cachePeerLookups(store);
    await cached.create(ns);
    expect(await cached.findByTokenHash('aa')).not.toBeNull();
    expect(await cached.remove('ns:000013')).toBe(true);
    expect(await cached.findByTokenHash('aa')).toBeNull();
    expect(await cached.get('ns:000013')).toBeNull();
  });
});
