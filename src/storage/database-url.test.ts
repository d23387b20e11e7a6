import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgres://deed@db:5432/deed', { dialect: 'postgres', url: 'postgres://deed@db:5432/deed' }],
    ['postgresql://deed:pw@db/deed?sslmode=require', { dialect: 'postgres', url: 'postgresql://deed:pw@db/deed?sslmode=require' }],
    ['data/deed.db', { dialect: 'sqlite', path: 'data/deed.db' }],
    ['/var/lib/deed/deed.db', { dialect: 'sqlite', path: '/var/lib/deed/deed.db' }],
    ['sqlite:data/deed.db', { dialect: 'sqlite', path: 'data/deed.db' }],
    ['sqlite:///var/lib/deed.db', { dialect: 'sqlite', path: '/var/lib/deed.db' }],
    ['sqlite://data/deed.db', { dialect: 'sqlite', path: 'data/deed.db' }],
    [':memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['sqlite::memory:', { dialect: 'sqlite', path: ':memory:' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  it('refuses an empty URL', () => {
    expect(() => parseDatabaseUrl('  ')).toThrow(/empty/);
  });
});

describe('redactDatabaseUrl', () => {
  it('hides the password and drops the query string', () => {
    expect(redactDatabaseUrl('postgres://deed:s3cret@db:5432/deed?password=x&sslmode=require')).toBe('postgres://deed:***@db:5432/deed');
    expect(redactDatabaseUrl('postgresql://deed@db/deed')).toBe('postgresql://deed@db/deed');
    expect(redactDatabaseUrl('data/deed.db')).toBe('data/deed.db');
  });
});
