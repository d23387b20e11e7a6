import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { createSqliteStatementCache } from './sqlite-statement-cache.js';

let sqlite: BetterSqlite3.Database;
beforeEach(() => {
  sqlite = new BetterSqlite3(':memory:');
  sqlite.exec('create table t (k text primary key, v integer not null)');
});
afterEach(() => sqlite.close());

describe('SQLite statement cache', () => {
  it('prepares a SQL text once, but hands out a fresh statement while the cached one iterates', () => {
    const cache = createSqliteStatementCache(sqlite, 2);
    sqlite.exec("insert into t values ('a', 1), ('b', 2)");
    const select = 'select k from t order by k';
    const first = cache.prepare(select);
    expect(cache.prepare(select)).toBe(first);
    const iterator = first.iterate();
    iterator.next();
    const during = cache.prepare(select);
    expect(during).not.toBe(first);
    expect(during.all()).toEqual([{ k: 'a' }, { k: 'b' }]);
    iterator.return?.();
    expect(cache.prepare(select)).toBe(first);
  });

  it('keeps at most its capacity, and never a pragma', () => {
    const cache = createSqliteStatementCache(sqlite, 2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    cache.prepare('select 3');
    expect(cache.size).toBe(2);
    cache.prepare('pragma busy_timeout = 10');
    expect(cache.size).toBe(2);
  });
});
