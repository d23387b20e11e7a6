import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteHandle } from './database-handle.js';
import { openDatabase } from './open-database.js';
import { sqliteSyncTransaction } from './sqlite-sync-transaction.js';

const dir = mkdtempSync(join(tmpdir(), 'deed-sync-transaction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
let path = '';
let handle: SqliteHandle;

beforeEach(async () => {
  path = join(dir, `sync-${++counter}.db`);
  const opened = await openDatabase(path);
  if (opened.dialect !== 'sqlite') throw new Error('expected SQLite');
  handle = opened;
  handle.sqlite.exec('create table t (k text primary key, v integer not null)');
});
afterEach(async () => handle.close());

const insert = (k: string, v: number) => (run: Parameters<Parameters<typeof sqliteSyncTransaction>[1]>[0]) =>
  run.statement('insert into t (k, v) values (?, ?)').run(k, v).changes;
const rows = () => handle.sqlite.prepare('select k, v from t order by k').all();
const count = () => handle.sqlite.prepare('select count(*) as n from t').get();

describe('SQLite synchronous transactions: group commit', () => {
  it('commits the transactions of one turn together; one that throws is rolled back alone', async () => {
    const outcomes = await Promise.allSettled([
      sqliteSyncTransaction(handle, insert('a', 1)),
      sqliteSyncTransaction(handle, (run) => {
        insert('b', 2)(run);
        insert('a', 9)(run); // a duplicate key: this transaction fails, its first insert goes too
        return 1;
      }),
      sqliteSyncTransaction(handle, (run) => {
        // Sees the writes of the transactions before it.
        const seen = (run.statement('select k from t order by k').all() as { k: string }[]).map((r) => r.k);
        insert('c', seen.length)(run);
        return seen;
      }),
    ]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: ['a'] });
    expect(rows()).toEqual([{ k: 'a', v: 1 }, { k: 'c', v: 1 }]);
    expect(count()).toEqual({ n: 2 });
    expect(handle.sqlite.inTransaction).toBe(false);
  });

  it('waits on later turns while another connection holds the write lock, without blocking the event loop', async () => {
    const other = new BetterSqlite3(path);
    other.prepare('begin immediate').run();
    const pending = sqliteSyncTransaction(handle, insert('a', 1));
    let turns = 0;
    await new Promise<void>((resolve) => {
      const tick = () => (++turns < 20 ? setTimeout(tick, 1) : resolve());
      setTimeout(tick, 1);
    });
    expect(rows()).toEqual([]);
    other.prepare('commit').run();
    other.close();
    await expect(pending).resolves.toBe(1);
    expect(rows()).toEqual([{ k: 'a', v: 1 }]);
  });

  it('fails with SQLITE_BUSY once the busy timeout has passed', async () => {
    handle.sqlite.pragma('busy_timeout = 50');
    const other = new BetterSqlite3(path);
    other.prepare('begin immediate').run();
    try {
      await expect(sqliteSyncTransaction(handle, insert('a', 1))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.prepare('rollback').run();
      other.close();
    }
    expect(rows()).toEqual([]);
  });
});
