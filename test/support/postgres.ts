/**
 * PostgreSQL for tests: a throwaway database per caller on the server named by
 * `DEED_TEST_POSTGRES_URL` (an admin connection; default `postgres://postgres@127.0.0.1:5432/postgres`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The admin URL tests connect to; it must be allowed to CREATE and DROP DATABASE. */
export const adminPostgresUrl: string =
  process.env.DEED_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when PostgreSQL is required (on CI): tests must fail rather than skip without it. */
export const postgresRequired: boolean = process.env.CI === 'true';

/** True when the admin URL accepts a connection within a few seconds. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminPostgresUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A database created for one test run. */
export interface TestDatabase {
  /** Connection URL of the new database (same server and role as the admin URL). */
  readonly url: string;
  /** Terminates its connections and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

/** Creates an empty database `deed_test_<random>`; drop it when done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `deed_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(adminPostgresUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop: () =>
      (dropped ??= withAdmin(async (client) => {
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await client.query(`drop database if exists ${name}`);
      })),
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<void> {
  const client = new pg.Client({ connectionString: adminPostgresUrl, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
