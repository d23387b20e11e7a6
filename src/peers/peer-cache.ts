import type { NewPeer, PeerRecord, PeerStore } from './peer.js';

/** Options of {@link cachePeerLookups}. */
export interface PeerCacheOptions {
  /** How long a peer found by id, token hash or certificate fingerprint is remembered, ms. Default 1000. */
  readonly ttlMs?: number;
  /** Milliseconds clock; `Date.now` by default. */
  readonly now?: () => number;
}

/** More entries than any deployment has peers; reaching it empties the cache. */
const MAX_ENTRIES = 10_000;

/**
 * A PeerStore that remembers peers it found (by id, token hash or certificate fingerprint) for
 * `ttlMs`, so that the Backend Interfaces hot path (every JoinReq looks up its caller and the
 * device's Application Server) does not query the database for the same few peers thousands of
 * times a second. Only peers that exist are remembered: an unknown token or id always reaches the
 * store. `create` and `remove` through this store empty the cache at once; a change made by
 * another process (another Deed on the same PostgreSQL) is seen within `ttlMs`.
 */
export function cachePeerLookups(store: PeerStore, options: PeerCacheOptions = {}): PeerStore {
  const ttlMs = options.ttlMs ?? 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { peer: PeerRecord; expires: number }>();
  // Bumped by every change, so a lookup that started before it does not store what it read.
  let generation = 0;
  const invalidate = () => {
    generation++;
    cache.clear();
  };

  const lookup = async (key: string, load: () => Promise<PeerRecord | null>): Promise<PeerRecord | null> => {
    const hit = cache.get(key);
    if (hit !== undefined) {
      if (hit.expires > now()) return hit.peer;
      cache.delete(key);
    }
    const startedAt = generation;
    const peer = await load();
    if (peer !== null && startedAt === generation) {
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, { peer, expires: now() + ttlMs });
    }
    return peer;
  };

  return {
    async create(peer: NewPeer): Promise<PeerRecord> {
      invalidate();
      try {
        return await store.create(peer);
      } finally {
        invalidate();
      }
    },
    get: (id) => lookup(`id\0${id}`, () => store.get(id)),
    list: () => store.list(),
    async remove(id: string): Promise<boolean> {
      invalidate();
      try {
        return await store.remove(id);
      } finally {
        invalidate();
      }
    },
    findByTokenHash: (tokenHash) => lookup(`token\0${tokenHash}`, () => store.findByTokenHash(tokenHash)),
    findByCertFingerprint: (fingerprint) => lookup(`cert\0${fingerprint}`, () => store.findByCertFingerprint(fingerprint)),
  };
}
