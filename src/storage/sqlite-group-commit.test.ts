import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteHandle } from './database-handle.js';
import { lockSqliteFromElsewhere } from './contract/sqlite-lock.js';
import { openDatabase } from './open-database.js';
import { createSqliteGroupCommit } from './sqlite-group-commit.js';

const dir = mkdtempSync(join(tmpdir(), 'deed-group-commit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
let path = '';
let handle: SqliteHandle;

beforeEach(async () => {
  path = join(dir, `group-commit-${++counter}.db`);
  const opened = await openDatabase(path);
  if (opened.dialect !== 'sqlite') throw new Error('expected SQLite');
  handle = opened;
  handle.sqlite.exec('create table t (k integer primary key, v text not null)');
});
afterEach(async () => handle.close());

/** Inserts (k, v); a duplicate k throws. Records how many writes each transaction held. */
function inserts(options: { lockWaitMs?: number } = {}) {
  let statement: BetterSqlite3.Statement | undefined;
  const write = createSqliteGroupCommit(handle, (sqlite, row: { k: number; v: string }) => {
    if (!sqlite.inTransaction) throw new Error('expected a transaction');
    statement ??= sqlite.prepare('insert into t (k, v) values (@k, @v)');
    return statement.run(row).changes;
  }, options);
  return { write };
}

const rows = () => handle.sqlite.prepare('select k, v from t order by k').all();

describe('SQLite group commit', () => {
  it('commits the writes of one turn together, each with its own result', async () => {
    const { write } = inserts();
    // Another connection sees none of them until all are committed.
    const other = new BetterSqlite3(path, { readonly: true });
    const seen: number[] = [];
    const peek = setImmediate(() => seen.push(Number(other.prepare('select count(*) from t').pluck().get())));
    const results = await Promise.all([1, 2, 3].map((k) => write({ k, v: `v${k}` })));
    expect(results).toEqual([1, 1, 1]);
    expect(rows()).toEqual([{ k: 1, v: 'v1' }, { k: 2, v: 'v2' }, { k: 3, v: 'v3' }]);
    clearImmediate(peek);
    other.close();
    expect(seen.every((n) => n === 0 || n === 3)).toBe(true);
  });

  it('fails only the write that threw, and leaves nothing of it behind', async () => {
    const { write } = inserts();
    await write({ k: 1, v: 'first' });
    const results = await Promise.allSettled([write({ k: 2, v: 'a' }), write({ k: 1, v: 'duplicate' }), write({ k: 3, v: 'b' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual([{ k: 1, v: 'first' }, { k: 2, v: 'a' }, { k: 3, v: 'b' }]);
    expect(handle.sqlite.inTransaction).toBe(false);
  });

  it('waits for another connection\'s write lock without blocking the event loop', async () => {
    const { write } = inserts();
    const lock = lockSqliteFromElsewhere(path);
    const pending = write({ k: 1, v: 'later' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rows()).toEqual([]);
    lock.release();
    expect(await pending).toBe(1);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(rows()).toEqual([{ k: 1, v: 'later' }]);
  });

  it('fails the queued writes with SQLITE_BUSY after lockWaitMs', async () => {
    const { write } = inserts({ lockWaitMs: 50 });
    const lock = lockSqliteFromElsewhere(path);
    try {
      await expect(write({ k: 1, v: 'never' })).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      lock.release();
    }
    expect(rows()).toEqual([]);
    // And it works again afterwards.
    expect(await write({ k: 2, v: 'now' })).toBe(1);
  });
});
