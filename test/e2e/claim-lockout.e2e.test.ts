import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { adminPostgresUrl, createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';
import { randomDevice } from '../support/network-server.js';

/**
 * Brute-force protection through the REST API, on two `deed serve` processes sharing one
 * database (requests alternate between them, so the counts must live in the database): past the
 * device's threshold a claim answers 429 with a Retry-After that doubles with each lock-out, even
 * with the correct token; a claimant that guessed across devices is locked out on its own; the
 * error never says whether a token was close; every refusal is audited.
 */

const MASTER_KEY = randomBytes(32).toString('hex');
const LIMITS = {
  DEED_CLAIM_MAX_FAILURES_DEVICE: '3',
  DEED_CLAIM_MAX_FAILURES_ACCOUNT: '5',
  DEED_CLAIM_MAX_FAILURES_ADDRESS: '1000',
  DEED_CLAIM_LOCKOUT_SECONDS: '1',
  DEED_CLAIM_LOCKOUT_MAX_SECONDS: '2',
};
const USERS = ['olivia', 'eve-1', 'eve-2', 'eve-3', 'mallory'] as const;
type User = (typeof USERS)[number];

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer { status: number; retryAfter: string | null; body: Record<string, unknown> }

async function request(url: string, authorization: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Record<string, unknown> };
}

/** The device's last code character changed: as close to right as a guess gets. */
const nearly = (code: string): string => `${code.slice(0, -1)}${code.endsWith('0') ? '1' : '0'}`;

async function scenarios(servers: readonly [DeedServer, DeedServer]): Promise<void> {
  let turn = 0;
  /** Alternates between the two processes. */
  const next = (): string => servers[turn++ % 2]!.url;
  const admin = basic('admin', ADMIN_PASSWORD);
  const auth = (user: User): string => basic(user, `${user} password 1`);

  // A maker with five devices of known codes; owners with an application each.
  expect((await request(`${next()}/api/v1/accounts`, admin, { username: 'maker', role: 'provisioner', password: 'maker password 1' })).status).toBe(201);
  const devices = Array.from({ length: 5 }, (_, i) => ({ ...randomDevice('1.0.3'), code: `CODE${i}${randomBytes(3).toString('hex').toUpperCase()}` }));
  const imported = await fetch(`${next()}/api/v1/devices/import?format=json`, {
    method: 'POST', headers: { authorization: basic('maker', 'maker password 1'), 'content-type': 'application/json' },
    body: JSON.stringify(devices.map((d) => ({ dev_eui: d.devEui, join_eui: d.joinEui, app_key: d.appKey, claim_authentication_code: d.code }))),
  });
  expect(imported.status).toBe(200);
  for (const user of USERS) {
    expect((await request(`${next()}/api/v1/accounts`, admin, { username: user, role: 'owner', password: `${user} password 1` })).status).toBe(201);
    expect((await request(`${next()}/api/v1/applications`, auth(user), { id: `${user}-app`, homeNetId: '000013' })).status).toBe(201);
  }
  const claim = (user: User, i: number, ownerToken: string): Promise<Answer> => {
    const d = devices[i]!;
    return request(`${next()}/api/v1/claims`, auth(user), { joinEui: d.joinEui, devEui: d.devEui, ownerToken });
  };
  const code = (i: number): string => devices[i]!.code;

  // 1. Three wrong tokens lock the device; a nearly right one answers exactly like a far one.
  const refusals = [await claim('eve-1', 0, 'FFFFFFFF'), await claim('eve-1', 0, nearly(code(0))), await claim('eve-1', 0, '')];
  for (const refusal of refusals) {
    expect(refusal.status).toBe(403);
    expect(refusal.retryAfter).toBeNull();
  }
  expect(refusals[1]!.body).toEqual(refusals[0]!.body);
  expect(refusals[0]!.body).toMatchObject({ code: 'claim_failed' });
  // The right owner with the right token is refused too while the lock-out lasts.
  const locked = await claim('olivia', 0, code(0));
  expect(locked.status).toBe(429);
  expect(locked.retryAfter).toBe('1');
  expect(locked.body).toMatchObject({ status: 429, code: 'rate_limited' });
  expect(String(locked.body['detail'])).not.toMatch(/close|almost|similar|digit|character/i);
  expect((await claim('eve-1', 0, nearly(code(0)))).status).toBe(429);
  await sleep(1_100);
  expect((await claim('olivia', 0, code(0))).status).toBe(201);

  // 2. The next lock-out of a device lasts twice as long (here up to the 2 s maximum).
  for (let n = 0; n < 3; n++) expect((await claim('eve-2', 1, `WRONG${n}`)).status).toBe(403);
  expect((await claim('olivia', 1, code(1))).retryAfter).toBe('1');
  await sleep(1_100);
  for (let n = 0; n < 3; n++) expect((await claim('eve-3', 1, `WRONG${n}`)).status).toBe(403);
  const longer = await claim('olivia', 1, code(1));
  expect(longer.status).toBe(429);
  expect(longer.retryAfter).toBe('2');
  await sleep(2_100);
  expect((await claim('olivia', 1, code(1))).status).toBe(201);

  // 3. A claimant guessing across devices (none of them locked) is locked out itself, even with a right token.
  for (const i of [2, 3, 4, 2, 3]) expect((await claim('mallory', i, 'GUESS123')).status).toBe(403);
  const claimant = await claim('mallory', 4, code(4));
  expect(claimant.status).toBe(429);
  expect(claimant.retryAfter).toBe('1');
  // Device 4 itself is not locked: its owner claims it.
  expect((await claim('olivia', 4, code(4))).status).toBe(201);

  // 4. Every refusal is in the audit log, with its reason and source address; nothing about the token.
  const audit = await request(`${next()}/api/v1/audit?devEui=${devices[0]!.devEui}&limit=1000`, admin);
  expect(audit.status).toBe(200);
  const events = audit.body['events'] as { action: string; outcome: string; actor: string; details: Record<string, unknown> }[];
  const failed = events.filter((e) => e.action === 'device.claim_failed');
  expect(failed.map((e) => e.details['reason'])).toEqual(['wrong_token', 'wrong_token', 'wrong_token', 'rate_limited', 'rate_limited']);
  expect(failed.map((e) => e.actor)).toEqual(['eve-1', 'eve-1', 'eve-1', 'olivia', 'eve-1']);
  for (const event of failed) {
    expect(event.outcome).toBe('failure');
    expect(event.details['source']).toBe('127.0.0.1');
    expect(JSON.stringify(event)).not.toContain(code(0).slice(0, -1));
  }
  expect(events.filter((e) => e.action === 'device.claimed')).toHaveLength(1);
  const byMallory = await request(`${next()}/api/v1/audit?devEui=${devices[4]!.devEui}&limit=1000`, admin);
  expect((byMallory.body['events'] as { actor: string; details: Record<string, unknown> }[])
    .filter((e) => e.actor === 'mallory').map((e) => e.details['reason'])).toEqual(['wrong_token', 'rate_limited']);
}

const postgres = await postgresAvailable();
const where = new URL(adminPostgresUrl).host;

describe('claim lock-outs across two deed serve processes', () => {
  const dirs: { remove(): void }[] = [];
  const servers: DeedServer[] = [];
  const databases: TestDatabase[] = [];
  const serve = async (databaseUrl: string): Promise<DeedServer> => {
    const dir = tempDir();
    dirs.push(dir);
    const server = await startDeed({ dataDir: dir.path, databaseUrl, env: { DEED_MASTER_KEY: MASTER_KEY, DEED_LOG_LEVEL: 'warn', ...LIMITS } });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const database of databases.splice(0)) await database.drop();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('on one SQLite file', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const url = `sqlite:${dir.path}/shared.db`;
    const first = await serve(url);
    await scenarios([first, await serve(url)]);
  }, 120_000);

  it.runIf(!postgres && postgresRequired)(`needs PostgreSQL at ${where} on CI`, () => {
    expect.fail(`PostgreSQL is required on CI (CI=true) but ${where} is not reachable`);
  });

  it.skipIf(!postgres)('on one PostgreSQL database', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const first = await serve(database.url);
    await scenarios([first, await serve(database.url)]);
  }, 120_000);
});
