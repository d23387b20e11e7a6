import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { adminPostgresUrl, createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';
import { randomDevice } from '../support/network-server.js';

/**
 * Ownership transfer is one atomic storage operation: concurrent claims of one device with the
 * right code, from different owners, sent to two `deed serve` processes sharing one database,
 * have exactly one winner — on a shared SQLite file and on PostgreSQL.
 */

const MASTER_KEY = randomBytes(32).toString('hex');
const RACERS = 24;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function post(url: string, authorization: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

/** Registers a maker, imports one device with a known code, and RACERS owners with an application each. */
async function prepare(server: DeedServer): Promise<{ devEui: string; joinEui: string; code: string; owners: string[] }> {
  const admin = basic('admin', ADMIN_PASSWORD);
  expect((await post(`${server.url}/api/v1/accounts`, admin, { username: 'maker', role: 'provisioner', password: 'maker password 1' })).status).toBe(201);
  const device = randomDevice('1.0.3');
  const code = `RACE${randomBytes(4).toString('hex').toUpperCase()}`;
  const imported = await fetch(`${server.url}/api/v1/devices/import?format=json`, {
    method: 'POST', headers: { authorization: basic('maker', 'maker password 1'), 'content-type': 'application/json' },
    body: JSON.stringify([{ dev_eui: device.devEui, join_eui: device.joinEui, app_key: device.appKey, claim_authentication_code: code }]),
  });
  expect(imported.status).toBe(200);
  const owners = await Promise.all(Array.from({ length: RACERS }, async (_, i) => {
    const password = `racer password ${i}`;
    expect((await post(`${server.url}/api/v1/accounts`, admin, { username: `racer-${i}`, role: 'owner', password })).status).toBe(201);
    const authorization = basic(`racer-${i}`, password);
    expect((await post(`${server.url}/api/v1/applications`, authorization, { id: `racer-app-${i}`, homeNetId: '000013' })).status).toBe(201);
    return authorization;
  }));
  return { devEui: device.devEui, joinEui: device.joinEui, code, owners };
}

async function race(servers: readonly DeedServer[]): Promise<void> {
  const [first] = servers;
  if (first === undefined) throw new Error('no server');
  const { devEui, joinEui, code, owners } = await prepare(first);
  const answers = await Promise.all(owners.map((authorization, i) =>
    post(`${servers[i % servers.length]?.url ?? first.url}/api/v1/claims`, authorization, { joinEui, devEui, ownerToken: code })));
  const winners = answers.filter((a) => a.status === 201);
  expect(winners, JSON.stringify(answers.map((a) => a.status))).toHaveLength(1);
  for (const loser of answers.filter((a) => a.status !== 201)) expect([403, 429]).toContain(loser.status);
  for (const server of servers) {
    const view = runDeed(['get', devEui], { url: server.url }).json<{ applicationId: string }>();
    expect(view.applicationId).toBe(winners[0]?.body['applicationId']);
  }
  const audit = runDeed(['audit', '--dev-eui', devEui], { url: first.url }).json<{ action: string }[]>();
  expect(audit.filter((e) => e.action === 'device.claimed')).toHaveLength(1);
}

const postgres = await postgresAvailable();
const where = new URL(adminPostgresUrl).host;

describe('concurrent claims of one device across two deed serve processes', () => {
  const dirs: { remove(): void }[] = [];
  const servers: DeedServer[] = [];
  const databases: TestDatabase[] = [];
  const serve = async (databaseUrl: string): Promise<DeedServer> => {
    const dir = tempDir();
    dirs.push(dir);
    const server = await startDeed({ dataDir: dir.path, databaseUrl, env: { DEED_MASTER_KEY: MASTER_KEY, DEED_LOG_LEVEL: 'warn' } });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const database of databases.splice(0)) await database.drop();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it(`${RACERS} owners, one SQLite file: exactly one wins`, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const url = `sqlite:${dir.path}/shared.db`;
    const first = await serve(url);
    await race([first, await serve(url)]);
  }, 120_000);

  it.runIf(!postgres && postgresRequired)(`needs PostgreSQL at ${where} on CI`, () => {
    expect.fail(`PostgreSQL is required on CI (CI=true) but ${where} is not reachable`);
  });

  it.skipIf(!postgres)(`${RACERS} owners, one PostgreSQL database: exactly one wins`, async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const first = await serve(database.url);
    await race([first, await serve(database.url)]);
  }, 120_000);
});
