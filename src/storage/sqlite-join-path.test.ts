import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError } from '../shared/deed-error.js';
import { at, fixtures } from './contract/fixtures.js';
import { createStores, type Stores } from './create-stores.js';
import type { SqliteHandle } from './database-handle.js';
import { migrateToLatest } from './migrate-to-latest.js';
import { lockSqliteFromElsewhere } from './contract/sqlite-lock.js';
import { openDatabase } from './open-database.js';
import { createSqliteJoinPath, type SqliteJoinPathOptions } from './sqlite-join-path.js';

const dir = mkdtempSync(join(tmpdir(), 'deed-join-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
let dbFile = '';
let handle: SqliteHandle;
let stores: Stores;

beforeEach(async () => {
  dbFile = join(dir, `join-path-${++counter}.db`);
  const opened = await openDatabase(dbFile);
  if (opened.dialect !== 'sqlite') throw new Error('expected SQLite');
  handle = opened;
  await migrateToLatest(handle);
  stores = createStores(handle);
});
afterEach(async () => handle.close());

const joinPath = (options: SqliteJoinPathOptions = {}) => createSqliteJoinPath(handle, () => new Date(), options);
const sessionId = (n: number) => n.toString(16).toUpperCase().padStart(32, '0');

async function device(i: number) {
  await stores.devices.create(fixtures.device(i));
  const record = await stores.devices.get(fixtures.eui(i));
  if (record === null) throw new Error('not created');
  return record;
}

describe('SQLite join path: group commit', () => {
  it('commits the joins of one turn in one transaction, each against its own version', async () => {
    const devices = await Promise.all([1, 2, 3, 4, 5].map(device));
    const path = joinPath();
    const results = await Promise.all(devices.map((d, i) => path.commitJoin(fixtures.join(d, sessionId(i), at(i)))));
    expect(results).toEqual([true, true, true, true, true]);
    for (const d of devices) {
      expect((await stores.devices.get(d.devEui))?.version).toBe(d.version + 1);
      expect(await stores.devices.countSessions(d.devEui)).toBe(1);
    }
  });

  it('lets exactly one of racing duplicates in one batch win', async () => {
    const d = await device(1);
    const path = joinPath();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => path.commitJoin(fixtures.join(d, sessionId(i), at(1)))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await stores.devices.get(d.devEui))?.version).toBe(d.version + 1);
    expect(await stores.devices.countSessions(d.devEui)).toBe(1);
  });

  it('fails only the join that throws; the rest of its batch commits', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(device));
    if (a === undefined || b === undefined || c === undefined) throw new Error('no devices');
    const path = joinPath();
    expect(await path.commitJoin(fixtures.join(b, sessionId(7), at(1)))).toBe(true);
    const bNow = await stores.devices.get(b.devEui);
    if (bNow === null) throw new Error('gone');
    const results = await Promise.allSettled([
      path.commitJoin(fixtures.join(a, sessionId(1), at(2))),
      // The same session key id again: a primary-key violation inside the batch.
      path.commitJoin(fixtures.join(bNow, sessionId(7), at(2))),
      path.commitJoin(fixtures.join(c, sessionId(3), at(2))),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: true });
    expect(results[1]?.status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsError);
    expect(results[2]).toEqual({ status: 'fulfilled', value: true });
    // Nothing of the failed join was kept.
    expect((await stores.devices.get(b.devEui))?.version).toBe(bNow.version);
    expect(await stores.devices.countSessions(b.devEui)).toBe(1);
  });

  it('splits a long queue into batches of maxBatch', async () => {
    const devices = await Promise.all(Array.from({ length: 10 }, (_, i) => device(i)));
    const path = joinPath({ maxBatch: 3 });
    const results = await Promise.all(devices.map((d, i) => path.commitJoin(fixtures.join(d, sessionId(i), at(1)))));
    expect(results.every(Boolean)).toBe(true);
  });

  it('waits for another connection\'s write lock without blocking the event loop', async () => {
    const d = await device(1);
    const path = joinPath();
    const lock = lockSqliteFromElsewhere(dbFile);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      const pending = path.commitJoin(fixtures.join(d, sessionId(1), at(1)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ticks).toBeGreaterThan(5);
      lock.release();
      expect(await pending).toBe(true);
    } finally {
      clearInterval(ticker);
    }
    expect((await stores.devices.get(d.devEui))?.version).toBe(d.version + 1);
  });

  it('fails with SQLITE_BUSY after lockWaitMs, writing nothing', async () => {
    const d = await device(1);
    const path = joinPath({ lockWaitMs: 50 });
    const lock = lockSqliteFromElsewhere(dbFile);
    try {
      const error = await path.commitJoin(fixtures.join(d, sessionId(1), at(1))).catch((e: unknown) => e);
      expect((error as { code?: unknown }).code).toBe('SQLITE_BUSY');
    } finally {
      lock.release();
    }
    expect((await stores.devices.get(d.devEui))?.version).toBe(d.version);
    expect(await stores.devices.countSessions(d.devEui)).toBe(0);
    // The connection waits again afterwards (its busy timeout was restored).
    expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(await path.commitJoin(fixtures.join(d, sessionId(2), at(2)))).toBe(true);
  });
});
