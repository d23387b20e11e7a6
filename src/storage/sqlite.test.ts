import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract, fixtures } from './contract/store-contract.js';
import { runRaceWorker } from './contract/run-race-worker.js';
import { createStores } from './create-stores.js';
import type { DatabaseHandle } from './database-handle.js';
import { migrateToLatest } from './migrate-to-latest.js';
import { openDatabase } from './open-database.js';
import { migrationsByDialect } from './migrations/migrations.js';
import { StorageUnavailableError } from './errors.js';

/** Every migration, in order: what a new database applies. */
const migrationNames = Object.keys(migrationsByDialect.sqlite);

const dir = mkdtempSync(join(tmpdir(), 'deed-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const paths = new WeakMap<DatabaseHandle, string>();
let counter = 0;
const target = {
  async openFresh(): Promise<DatabaseHandle> {
    const path = join(dir, `store-${++counter}.db`);
    const handle = await openDatabase(path);
    paths.set(handle, path);
    return handle;
  },
  async reopen(closed: DatabaseHandle): Promise<DatabaseHandle> {
    const path = paths.get(closed);
    if (path === undefined) throw new Error('not opened by this suite');
    const handle = await openDatabase(`sqlite:${path}`);
    paths.set(handle, path);
    return handle;
  },
};

describeStoreContract('storage contract: SQLite', target);
describeStoreContract('storage contract: SQLite, portable Kysely join path', { ...target, stores: { joinPath: 'portable' } });

describe('SQLite specifics', () => {
  it('opens with WAL, synchronous NORMAL, a busy timeout and foreign keys', async () => {
    const handle = await openDatabase(join(dir, 'pragmas.db'));
    try {
      if (handle.dialect !== 'sqlite') throw new Error('expected SQLite');
      expect(handle.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(handle.sqlite.pragma('synchronous', { simple: true })).toBe(1);
      expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(handle.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      await handle.close();
      await handle.close();
    }
  });

  it('opens :memory: and migrates it', async () => {
    const handle = await openDatabase(':memory:');
    try {
      expect(handle.dialect).toBe('sqlite');
      expect(await migrateToLatest(handle)).toEqual(migrationNames);
      expect(await migrateToLatest(handle)).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('names the file when it cannot be opened', async () => {
    const path = join(dir, 'no-such-dir', 'deed.db');
    const error = await openDatabase(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain(path);
  });

  it('migrates from two processes starting at once', async () => {
    const path = join(dir, 'two-processes.db');
    const reports = await Promise.all([runRaceWorker([path]), runRaceWorker([path])]);
    expect(reports.flatMap((r) => r.applied)).toEqual(migrationNames);
  });

  it('lets exactly one commit win when two processes race on one file', async () => {
    const path = join(dir, 'race.db');
    const handle = await openDatabase(path);
    let version = 0;
    try {
      await migrateToLatest(handle);
      version = (await createStores(handle).devices.create(fixtures.device(1))).version;
    } finally {
      await handle.close();
    }
    const startAt = String(Date.now() + 2_000);
    const reports = await Promise.all([
      runRaceWorker([path, fixtures.eui(1), '50', String(version), startAt]),
      runRaceWorker([path, fixtures.eui(1), '50', String(version), startAt]),
    ]);
    expect(reports[0]!.won + reports[1]!.won).toBe(1);
  });
});
