import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sealed } from '../devices/device.js';
import { createMasterKeyRing, masterKeyIdOf } from './master-key-ring.js';
import { addActiveKey, loadMasterKeyRing } from './master-key-source.js';
import { rotateMasterKey, runKeyRotation } from './rotate-master-key.js';
import type { SealedValueStore } from './sealed-value-store.js';
import { Sealer } from './sealer.js';

/** In-memory SealedValueStore with the documented semantics: batches, progress after each batch. */
class FakeStore implements SealedValueStore {
  readonly rows: { context: string; sealed: Sealed }[] = [];
  /** Called between batches: lets a test write concurrently, like a running server. */
  betweenBatches?: () => void;

  async resealAll(
    reseal: (sealed: Sealed, context: string) => Sealed | null,
    options: { readonly batchSize: number; readonly onProgress?: (examined: number, resealed: number) => void },
  ): Promise<{ examined: number; resealed: number }> {
    let examined = 0;
    let resealed = 0;
    for (let start = 0; start < this.rows.length; start += options.batchSize) {
      const batch = this.rows.slice(start, start + options.batchSize);
      const replacements = batch.map((row) => reseal(row.sealed, row.context));
      batch.forEach((row, i) => {
        const next = replacements[i];
        if (next !== null && next !== undefined) {
          row.sealed = next;
          resealed += 1;
        }
      });
      examined += batch.length;
      await Promise.resolve();
      options.onProgress?.(examined, resealed);
      this.betweenBatches?.();
    }
    return { examined, resealed };
  }

  fill(sealer: Sealer, count: number): void {
    for (let i = 0; i < count; i += 1) {
      const context = `device:${i.toString(16).padStart(16, '0')}:appKey`;
      this.rows.push({ context, sealed: sealer.seal(Uint8Array.of(i & 0xff, i >> 8), context) });
    }
  }

  keyIds(sealer: Sealer): Set<string> {
    return new Set(this.rows.map((row) => sealer.keyIdOf(row.sealed)));
  }

  expectReadable(sealer: Sealer): void {
    this.rows.forEach((row, i) => expect(Array.from(sealer.open(row.sealed, row.context))).toEqual([i & 0xff, i >> 8]));
  }
}

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'deed-rotate-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('rotateMasterKey', () => {
  it('re-seals every value not under the active key, batch by batch', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const store = new FakeStore();
    store.fill(new Sealer(createMasterKeyRing([oldKey])), 25);
    const current = new Sealer(createMasterKeyRing([newKey])); // active new key
    store.rows.push({ context: 'x', sealed: current.seal(Uint8Array.of(1), 'x') });
    const sealer = new Sealer(createMasterKeyRing([newKey, oldKey]));
    const progress: [number, number][] = [];
    const result = await rotateMasterKey({ store, sealer, batchSize: 10, onProgress: (e, r) => progress.push([e, r]) });
    expect(result).toEqual({ examined: 26, resealed: 25 });
    expect(progress).toEqual([[10, 10], [20, 20], [26, 25]]);
    expect(store.keyIds(sealer)).toEqual(new Set([masterKeyIdOf(newKey)]));
    store.rows.pop();
    store.expectReadable(new Sealer(createMasterKeyRing([newKey])));
    expect(await rotateMasterKey({ store, sealer })).toEqual({ examined: 25, resealed: 0 });
  });

  it('stops on a value it cannot open, naming its context', async () => {
    const store = new FakeStore();
    store.fill(new Sealer(createMasterKeyRing([randomBytes(32)])), 3);
    const sealer = new Sealer(createMasterKeyRing([randomBytes(32)]));
    await expect(rotateMasterKey({ store, sealer })).rejects.toMatchObject({
      code: 'unknown_master_key',
      details: { context: 'device:0000000000000000:appKey' },
    });
  });
});

describe('runKeyRotation (key-ring file)', () => {
  it('adds a key, re-seals everything and retires the old key', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const oldId = ring.activeKeyId;
    const store = new FakeStore();
    store.fill(new Sealer(ring), 40);
    const result = await runKeyRotation({ dataDir, store, batchSize: 7, settleMs: 0 });
    expect(result.source).toBe('file');
    expect(result.addedKey).toBe(true);
    expect(result.activeKeyId).not.toBe(oldId);
    expect(result).toMatchObject({ examined: 40, resealed: 40, retired: [oldId] });
    const after = (await loadMasterKeyRing({ dataDir })).ring;
    expect(after.keyIds()).toEqual([result.activeKeyId]);
    store.expectReadable(new Sealer(after));
  });

  it('can be interrupted and resumes without generating another key', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const oldId = ring.activeKeyId;
    const store = new FakeStore();
    store.fill(new Sealer(ring), 30);

    const interrupted = runKeyRotation({
      dataDir,
      store,
      batchSize: 10,
      settleMs: 0,
      onProgress: (examined) => {
        if (examined >= 20) throw new Error('killed');
      },
    });
    await expect(interrupted).rejects.toThrow('killed');
    const midway = (await loadMasterKeyRing({ dataDir })).ring;
    expect(midway.keyIds()).toHaveLength(2); // nothing retired
    const newId = midway.activeKeyId;
    expect(store.keyIds(new Sealer(midway))).toEqual(new Set([oldId, newId])); // partly re-sealed

    const resumed = await runKeyRotation({ dataDir, store, batchSize: 10, settleMs: 0 });
    expect(resumed).toMatchObject({ addedKey: false, activeKeyId: newId, retired: [oldId], examined: 30 });
    expect(resumed.resealed).toBeGreaterThan(0);
    expect(resumed.resealed).toBeLessThan(30);
    const after = (await loadMasterKeyRing({ dataDir })).ring;
    expect(after.keyIds()).toEqual([newId]);
    store.expectReadable(new Sealer(after));
  });

  it('waits for servers to notice the new key, and re-checks values they sealed meanwhile', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const oldId = ring.activeKeyId;
    const staleServer = new Sealer(createMasterKeyRing([ring.get(oldId) as Uint8Array]));
    const store = new FakeStore();
    store.fill(staleServer, 10);
    let staleWrites = 0;
    store.betweenBatches = () => {
      // A server that has not reloaded yet writes a value under the old key, once.
      if (staleWrites === 0) {
        staleWrites += 1;
        const row = store.rows[0];
        if (row !== undefined) row.sealed = staleServer.seal(Uint8Array.of(0, 0), row.context);
      }
    };
    const started = Date.now();
    const result = await runKeyRotation({ dataDir, store, batchSize: 5, settleMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(result.retired).toEqual([oldId]);
    expect(result.resealed).toBe(11);
    store.expectReadable(new Sealer((await loadMasterKeyRing({ dataDir })).ring));
  });

  it('gives up without retiring when old-key values keep appearing', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const staleServer = new Sealer(createMasterKeyRing([ring.get(ring.activeKeyId) as Uint8Array]));
    const store = new FakeStore();
    store.fill(staleServer, 4);
    store.betweenBatches = () => {
      const row = store.rows[0];
      if (row !== undefined) row.sealed = staleServer.seal(Uint8Array.of(0, 0), row.context);
    };
    await expect(runKeyRotation({ dataDir, store, settleMs: 0, maxPasses: 3 })).rejects.toMatchObject({ code: 'rotation_incomplete' });
    expect((await loadMasterKeyRing({ dataDir })).ring.keyIds()).toHaveLength(2);
  });

  it('refuses to rotate a data directory without a key-ring file', async () => {
    await expect(runKeyRotation({ dataDir, store: new FakeStore(), settleMs: 0 })).rejects.toMatchObject({ code: 'master_key_file_missing' });
  });

  it('resumes an earlier run that already added a key', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const store = new FakeStore();
    store.fill(new Sealer(ring), 3);
    const newId = await addActiveKey(dataDir);
    const result = await runKeyRotation({ dataDir, store, settleMs: 0 });
    expect(result).toMatchObject({ addedKey: false, activeKeyId: newId, resealed: 3, retired: [ring.activeKeyId] });
  });
});

describe('runKeyRotation (DEED_MASTER_KEY)', () => {
  it('re-seals under DEED_MASTER_KEY and retires nothing', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const store = new FakeStore();
    store.fill(new Sealer(createMasterKeyRing([oldKey])), 12);
    const env = { masterKey: newKey.toString('hex'), previousMasterKeys: oldKey.toString('base64') };
    const result = await runKeyRotation({ dataDir, store, env, batchSize: 5 });
    expect(result).toEqual({ source: 'env', activeKeyId: masterKeyIdOf(newKey), addedKey: false, examined: 12, resealed: 12, retired: [] });
    store.expectReadable(new Sealer(createMasterKeyRing([newKey])));
    expect(await runKeyRotation({ dataDir, store, env })).toMatchObject({ examined: 12, resealed: 0 });
  });

  it('fails clearly when the old key is not in DEED_MASTER_KEY_PREVIOUS', async () => {
    const store = new FakeStore();
    store.fill(new Sealer(createMasterKeyRing([randomBytes(32)])), 2);
    await expect(runKeyRotation({ dataDir, store, env: { masterKey: randomBytes(32).toString('hex') } })).rejects.toMatchObject({
      code: 'unknown_master_key',
    });
  });
});
