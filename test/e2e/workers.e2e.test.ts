import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { deviceAcceptsJoin, joinReq, postBi, registerRandomDevice, resultCode, type MacVersion, type TestDevice } from '../support/network-server.js';
import { adminPostgresUrl, createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';

const NET_ID = '000013';
const RACERS = 100;
const adminHeaders = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

/** The pids of a process's children (the workers of a `deed serve` primary). */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

async function registerNetworkServer(server: DeedServer): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/peers`, {
    method: 'POST',
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ netId: NET_ID, kekLabel: 'ns-000013', kek: '000102030405060708090A0B0C0D0E0F' }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return (JSON.parse(text) as { token: string }).token;
}

/** Registers a random device homed on NET_ID, as admin. */
const addDevice = (server: DeedServer, macVersion: MacVersion): Promise<TestDevice> =>
  registerRandomDevice(server.url, adminHeaders, macVersion, NET_ID);

/**
 * Sends every message at once, each on its own connection (a warm-up round opens them first), so
 * that the primary spreads them over the workers.
 */
async function fireAll(server: DeedServer, token: string, messages: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  await Promise.all(messages.map(async () => (await fetch(`${server.url}/healthz`)).text()));
  const answers = await Promise.all(messages.map((message) => postBi(server.url, token, message)));
  for (const answer of answers) expect(answer.status).toBe(200);
  return answers.map((answer) => answer.body);
}

/** The workers that logged an answered BI message since `from` (DEED_LOG_LEVEL=debug). */
function workersThatAnswered(server: DeedServer, from: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of server.output().slice(from).split('\n')) {
    const match = /"worker":(\d+),.*"msg":"bi"/.exec(line);
    if (match !== null) counts.set(Number(match[1]), (counts.get(Number(match[1])) ?? 0) + 1);
  }
  return counts;
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** RACERS identical JoinReqs (same DevNonce) spread over the workers: exactly one JoinAccept. */
async function raceAcrossWorkers(server: DeedServer, token: string, macVersion: MacVersion): Promise<void> {
  const device = await addDevice(server, macVersion);
  const devNonce = randomBytes(2).readUInt16BE();
  const from = server.output().length;
  const bodies = await fireAll(server, token, Array.from({ length: RACERS }, () => joinReq(device, devNonce)));

  const tally: Record<string, number> = {};
  for (const body of bodies) tally[resultCode(body) ?? '<none>'] = (tally[resultCode(body) ?? '<none>'] ?? 0) + 1;
  expect(tally).toEqual({ Success: 1, JoinReqFailed: RACERS - 1 });
  // Both workers took part in the race (their log lines may arrive a little after the answers).
  await waitFor(() => [...workersThatAnswered(server, from).values()].reduce((a, b) => a + b, 0) >= RACERS);
  const answered = workersThatAnswered(server, from);
  expect([...answered.keys()].sort()).toEqual([1, 2]);
  expect((answered.get(1) ?? 0) + (answered.get(2) ?? 0)).toBe(RACERS);

  const winner = bodies.find((body) => resultCode(body) === 'Success');
  const accepted = deviceAcceptsJoin(device, devNonce, NET_ID, winner?.['PHYPayload'] as string);
  expect(accepted.micOk).toBe(true);
  expect(accepted.joinNonce).toBe(1);
  const state = await fetch(`${server.url}/api/v1/devices/${device.devEui}?nonces=true`, { headers: adminHeaders });
  const { nonces } = (await state.json()) as { nonces: { nextJoinNonce: number; lastDevNonce: number | null; usedDevNonces: number[] } };
  expect(nonces).toMatchObject({ nextJoinNonce: 2, lastDevNonce: devNonce, usedDevNonces: [devNonce] });
}

/** Serial joins of fresh devices, each on a new connection: every one a Success. */
async function joinsSucceed(server: DeedServer, token: string, count: number): Promise<void> {
  const devices = await Promise.all(Array.from({ length: count }, () => addDevice(server, '1.0.3')));
  const bodies = await fireAll(server, token, devices.map((device) => joinReq(device, 1)));
  expect(bodies.map(resultCode)).toEqual(devices.map(() => 'Success'));
}

const postgres = await postgresAvailable();
const where = new URL(adminPostgresUrl).host;

describe('deed serve with DEED_WORKERS=2', () => {
  const dirs: { remove(): void }[] = [];
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases.splice(0)) await database.drop();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  const serve = async (databaseUrl?: string): Promise<DeedServer> => {
    const dir = tempDir();
    dirs.push(dir);
    return startDeed({
      dataDir: dir.path,
      env: { DEED_WORKERS: '2', DEED_LOG_LEVEL: 'debug' },
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    });
  };

  describe('on SQLite', () => {
    let server: DeedServer;
    let token: string;
    beforeAll(async () => {
      server = await serve();
      token = await registerNetworkServer(server);
    });
    afterAll(async () => server.stop());

    it('migrates and creates the admin once, then runs two workers on one port', () => {
      expect(server.output()).toContain('with 2 worker processes');
      expect(server.output().match(/Created the account "admin"/g)).toHaveLength(1);
      expect(childrenOf(server.process.pid)).toHaveLength(2);
      expect(server.output()).toMatch(/"worker":1,.*"msg":"Deed is listening"/);
      expect(server.output()).toMatch(/"worker":2,.*"msg":"Deed is listening"/);
    });

    for (const macVersion of ['1.0.3', '1.1'] as MacVersion[]) {
      it(`${RACERS} identical JoinReqs of a ${macVersion} device over both workers: one Success`, async () => {
        await raceAcrossWorkers(server, token, macVersion);
      });
    }

    it('/metrics counts the joins of every worker', async () => {
      const before = await successfulJoins(server);
      await joinsSucceed(server, token, 20);
      expect(await successfulJoins(server)).toBe(before + 20);
    });

    it('starts a worker that died again, and keeps serving meanwhile', async () => {
      const [victim] = childrenOf(server.process.pid);
      if (victim === undefined) throw new Error('no worker');
      process.kill(victim, 'SIGKILL');
      // Connections the dead worker held are reset; new ones go to the living worker.
      await waitFor(() => /worker exited unexpectedly; starting it again/.test(server.output()));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await joinsSucceed(server, token, 10);
      await waitFor(() => /worker started again and listens/.test(server.output()));
      expect(server.output()).toMatch(/worker started again and listens/);
      const workers = childrenOf(server.process.pid);
      expect(workers).toHaveLength(2);
      expect(workers).not.toContain(victim);
      await joinsSucceed(server, token, 10);
    });

    it('stops every worker on SIGTERM', async () => {
      const workers = childrenOf(server.process.pid);
      await server.stop();
      expect(server.process.exitCode).toBe(0);
      for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    });
  });

  describe.runIf(!postgres && postgresRequired)('on PostgreSQL (required on CI)', () => {
    it(`needs PostgreSQL at ${where}`, () => {
      expect.fail(`PostgreSQL is required on CI (CI=true) but ${where} is not reachable; set DEED_TEST_POSTGRES_URL`);
    });
  });

  describe.skipIf(!postgres)(postgres ? 'on PostgreSQL' : `on PostgreSQL (skipped: nothing at ${where})`, () => {
    let server: DeedServer;
    let token: string;
    beforeAll(async () => {
      const database = await createTestDatabase();
      databases.push(database);
      server = await serve(database.url);
      token = await registerNetworkServer(server);
    });
    afterAll(async () => server.stop());

    it(`${RACERS} identical JoinReqs of a 1.0.3 device over both workers: one Success`, async () => {
      await raceAcrossWorkers(server, token, '1.0.3');
    });
  });

  it('fails to start, naming the problem, when the workers cannot listen', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const dir = tempDir();
      dirs.push(dir);
      const failed = await startDeed({ dataDir: dir.path, port, env: { DEED_WORKERS: '2' } }).then(() => null, (err: Error) => err);
      expect(failed?.message).toMatch(/exited with 1 before listening/);
      expect(failed?.message).toMatch(/EADDRINUSE/);
      expect(failed?.message).toMatch(/worker \d of 2 exited \(code 1\) before it listened/);
    } finally {
      blocker.close();
    }
  });
});

/** deed_joins_total{result="Success"} from /metrics. */
async function successfulJoins(server: DeedServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^deed_joins_total\{result="Success"\} (\d+)/m.exec(text)?.[1] ?? 0);
}
