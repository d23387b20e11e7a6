import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { deviceAcceptsJoin, joinReq, postBi, registerRandomDevice, resultCode, type MacVersion, type TestDevice } from '../support/network-server.js';
import { adminPostgresUrl, createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';

const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const NET_ID = '000013';
const RACERS = 100;

/** Every process of a cluster opens the same sealed root keys, so they share one master key. */
const MASTER_KEY = randomBytes(32).toString('hex');

/** One or more `deed serve` processes over one database, with a registered Network Server. */
interface Cluster {
  readonly servers: readonly DeedServer[];
  readonly nsToken: string;
}

/** The stored state of a device, as the management API shows it. */
interface DeviceState {
  nonces: { nextJoinNonce: number; lastDevNonce: number | null; usedDevNonces: number[] };
}

const adminHeaders = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

async function deviceState(server: DeedServer, devEui: string): Promise<DeviceState> {
  const response = await fetch(`${server.url}/api/v1/devices/${devEui}?nonces=true`, { headers: adminHeaders });
  expect(response.status).toBe(200);
  return (await response.json()) as DeviceState;
}

/** Registers the Network Server through the management API (`deed peer add` does the same POST). */
async function registerNetworkServer(server: DeedServer): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/peers`, {
    method: 'POST',
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ netId: NET_ID, kekLabel: 'ns-000013', kek: NS_KEK }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(201);
  const { token } = JSON.parse(text) as { token?: string };
  if (token === undefined) throw new Error(`no token generated: ${text}`);
  return token;
}

/** Registers a random device homed on NET_ID, as admin. */
const addDevice = (server: DeedServer, macVersion: MacVersion): Promise<TestDevice> =>
  registerRandomDevice(server.url, adminHeaders, macVersion, NET_ID);

/**
 * Fires every message at once (request i to server i mod n) and returns the answers in order.
 * fetch keeps connections alive: a warm-up round opens one connection per request first, so the
 * JoinReqs themselves leave together instead of trickling out behind 100 TCP handshakes.
 */
async function fireAll(cluster: Cluster, messages: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const { servers, nsToken } = cluster;
  const urlOf = (i: number) => servers[i % servers.length]?.url ?? '';
  await Promise.all(messages.map(async (_, i) => (await fetch(`${urlOf(i)}/healthz`)).text()));
  const answers = await Promise.all(messages.map((message, i) => postBi(urlOf(i), nsToken, message)));
  for (const answer of answers) expect(answer.status).toBe(200);
  return answers.map((answer) => answer.body);
}

const tally = (bodies: readonly Record<string, unknown>[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const body of bodies) {
    const code = resultCode(body) ?? '<none>';
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
};

/** 100 identical JoinReqs (same device, same DevNonce, same bytes) at once: exactly one JoinAccept. */
async function raceIdenticalJoins(cluster: Cluster, macVersion: MacVersion): Promise<void> {
  const first = cluster.servers[0];
  if (first === undefined) throw new Error('no server');
  const device = await addDevice(first, macVersion);
  const devNonce = randomBytes(2).readUInt16BE();
  const message = joinReq(device, devNonce);
  const bodies = await fireAll(cluster, Array.from({ length: RACERS }, () => message));

  expect(tally(bodies)).toEqual({ Success: 1, JoinReqFailed: RACERS - 1 });
  const winner = bodies.find((body) => resultCode(body) === 'Success');
  const accepted = deviceAcceptsJoin(device, devNonce, NET_ID, winner?.['PHYPayload'] as string);
  expect(accepted.micOk).toBe(true);
  expect(accepted.joinNonce).toBe(1);
  for (const loser of bodies.filter((body) => body !== winner)) expect(loser['PHYPayload']).toBeUndefined();

  for (const server of cluster.servers) {
    const { nonces } = await deviceState(server, device.devEui);
    expect(nonces.nextJoinNonce).toBe(2);
    expect(nonces.lastDevNonce).toBe(devNonce);
    expect(nonces.usedDevNonces).toEqual([devNonce]);
  }
}

/**
 * 100 different DevNonces of a LoRaWAN 1.0.4 device (DevNonce is a counter) at once, in shuffled
 * order: whatever is accepted must look like a serial history — JoinNonces 1..k without gaps or
 * duplicates, and DevNonce strictly increasing in JoinNonce order — as seen by the device itself
 * (lora-packet decrypting and verifying each JoinAccept).
 */
async function raceCounterDevNonces(cluster: Cluster): Promise<void> {
  const first = cluster.servers[0];
  if (first === undefined) throw new Error('no server');
  const device = await addDevice(first, '1.0.4');
  const devNonces = Array.from({ length: RACERS }, (_, i) => i + 1);
  for (let i = devNonces.length - 1; i > 0; i--) {
    const j = randomBytes(1).readUInt8() % (i + 1);
    [devNonces[i], devNonces[j]] = [devNonces[j] ?? 0, devNonces[i] ?? 0];
  }
  const bodies = await fireAll(cluster, devNonces.map((devNonce) => joinReq(device, devNonce)));

  const counts = tally(bodies);
  expect(Object.keys(counts).filter((code) => code !== 'Success' && code !== 'JoinReqFailed'), JSON.stringify(counts)).toEqual([]);
  const accepted = bodies.flatMap((body, i) => {
    if (resultCode(body) !== 'Success') return [];
    const devNonce = devNonces[i] ?? -1;
    const join = deviceAcceptsJoin(device, devNonce, NET_ID, body['PHYPayload'] as string);
    expect(join.micOk, `JoinAccept for DevNonce ${devNonce}`).toBe(true);
    return [{ devNonce, joinNonce: join.joinNonce }];
  }).sort((a, b) => a.joinNonce - b.joinNonce);

  expect(accepted.length).toBeGreaterThanOrEqual(1);
  expect(accepted.map((a) => a.joinNonce)).toEqual(accepted.map((_, i) => i + 1));
  for (let i = 1; i < accepted.length; i++) {
    expect(accepted[i]?.devNonce, `DevNonce of JoinNonce ${i + 1} after ${accepted[i - 1]?.devNonce ?? '?'}`).toBeGreaterThan(accepted[i - 1]?.devNonce ?? Infinity);
  }
  const last = accepted[accepted.length - 1];
  for (const server of cluster.servers) {
    const { nonces } = await deviceState(server, device.devEui);
    expect(nonces.nextJoinNonce).toBe(accepted.length + 1);
    expect(nonces.lastDevNonce).toBe(last?.devNonce);
  }
}

/** The same races against one cluster; `more` adds tests that see the started cluster. */
function describeRaces(name: string, start: () => Promise<Cluster>, stop: () => Promise<void>, more?: (cluster: () => Cluster) => void): void {
  describe(name, () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await start();
    });
    afterAll(stop);

    more?.(() => cluster);
    for (const macVersion of ['1.0.3', '1.1'] as MacVersion[]) {
      it(`${RACERS} identical JoinReqs of a ${macVersion} device: one Success, ${RACERS - 1} JoinReqFailed, JoinNonce advanced once`, async () => {
        await raceIdenticalJoins(cluster, macVersion);
      });
    }
    it(`${RACERS} different DevNonces of a 1.0.4 device: the accepted ones form a serial history`, async () => {
      await raceCounterDevNonces(cluster);
    });
  });
}

const postgres = await postgresAvailable();
const where = new URL(adminPostgresUrl).host;
if (!postgres) {
  console.warn(`PostgreSQL is not reachable at ${where} (set DEED_TEST_POSTGRES_URL): ${postgresRequired ? 'CI=true, so the PostgreSQL join races FAIL' : 'skipping the PostgreSQL join races'}.`);
}

describe('concurrent JoinReqs for one device, end to end', () => {
  const dirs: { remove(): void }[] = [];
  const servers: DeedServer[] = [];
  const databases: TestDatabase[] = [];
  const serve = async (databaseUrl?: string): Promise<DeedServer> => {
    const dir = tempDir();
    dirs.push(dir);
    const server = await startDeed({
      dataDir: dir.path,
      env: { DEED_MASTER_KEY: MASTER_KEY, DEED_LOG_LEVEL: 'warn' },
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    });
    servers.push(server);
    return server;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  };
  afterAll(async () => {
    await stopAll();
    for (const database of databases.splice(0)) await database.drop();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  describeRaces('one deed serve on SQLite', async () => {
    const server = await serve();
    return { servers: [server], nsToken: await registerNetworkServer(server) };
  }, stopAll);

  // One process serializes a join's read and its commit on the event loop (better-sqlite3 is
  // synchronous); two processes on one file really race, so the version check must hold them apart.
  describeRaces('two deed serve processes sharing one SQLite file (requests alternate)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const databaseUrl = `sqlite:${dir.path}/shared.db`;
    const pair = await Promise.all([serve(databaseUrl), serve(databaseUrl)]);
    return { servers: pair, nsToken: await registerNetworkServer(pair[0]) };
  }, stopAll);

  describe.runIf(!postgres && postgresRequired)('on PostgreSQL (required on CI)', () => {
    it(`needs PostgreSQL at ${where}`, () => {
      expect.fail(`PostgreSQL is required on CI (CI=true) but ${where} is not reachable; set DEED_TEST_POSTGRES_URL`);
    });
  });

  describe.skipIf(!postgres)(postgres ? 'on PostgreSQL' : `on PostgreSQL (skipped: nothing at ${where})`, () => {
    describeRaces('one deed serve on PostgreSQL', async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const server = await serve(database.url);
      return { servers: [server], nsToken: await registerNetworkServer(server) };
    }, stopAll);

    let shared: TestDatabase;
    describeRaces('two deed serve processes sharing one PostgreSQL database (requests alternate)', async () => {
      shared = await createTestDatabase();
      databases.push(shared);
      // Both start at the same moment on an empty database: both migrate, both try to create the admin.
      const pair = await Promise.all([serve(shared.url), serve(shared.url)]);
      return { servers: pair, nsToken: await registerNetworkServer(pair[0]) };
    }, stopAll, (cluster) => {
      it('both processes, started together on an empty database, came up and migrated it once', async () => {
        const [a, b] = cluster().servers;
        for (const server of [a, b]) {
          expect(server?.process.exitCode).toBeNull();
          expect(server?.output()).not.toMatch(/migration.*fail|MigrationFailed|already exists/i);
        }
        const client = new pg.Client({ connectionString: shared.url });
        await client.connect();
        try {
          const migrations = await client.query<{ name: string }>('select name from kysely_migration order by name');
          const names = migrations.rows.map((row) => row.name);
          expect(names).toContain('0001-initial');
          expect(new Set(names).size).toBe(names.length);
          const admins = await client.query<{ n: string }>("select count(*) as n from accounts where username = 'admin'");
          expect(Number(admins.rows[0]?.n)).toBe(1);
        } finally {
          await client.end();
        }
        // Exactly one of them created the first admin account; the other found it.
        expect([a, b].filter((server) => server?.output().includes('Created the account "admin"')).length).toBe(1);
      });
    });
  });
});
