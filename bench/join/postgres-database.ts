/**
 * A temporary PostgreSQL database for one benchmark target: created through an admin URL,
 * dropped (with its connections) at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactDatabaseUrl } from '../../src/storage/database-url.js';

/** Creates `deed_bench_<random>`; returns its URL and how to drop it, or why PostgreSQL is skipped. */
export async function createPostgresDatabase(adminUrl: string, log: (line: string) => void): Promise<{ url: string; drop: () => Promise<void> } | string> {
  const name = `deed_bench_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client | undefined;
  try {
    // Inside the try: a URL pg cannot use (say an sslkey file that is not there) is a skip too.
    admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    return `${redactDatabaseUrl(adminUrl)} is unreachable or refused CREATE DATABASE: ${(err as Error).message}`;
  } finally {
    await admin?.end().catch(() => undefined);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  log(`PostgreSQL: created database ${name}`);
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        log(`PostgreSQL: dropped database ${name}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    },
  };
}
