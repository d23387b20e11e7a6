import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, runDeedAsync, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { adminPostgresUrl, createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';

/**
 * ThingsBoard-compatible device-opened claiming over plain HTTP, with the spec's exact statuses
 * and bodies (/work/shared/spec/thingsboard-claiming.md): a device opens its window with its
 * access token (`POST /api/v1/{accessToken}/claim`), an owner claims it by name and secret
 * (`POST /api/customer/device/{name}/claim` → 200 SUCCESS, 400 "FAILURE", 400 "CLAIMED", 404)
 * and releases it (`DELETE`); and none of ThingsBoard's defects: windows are durable and
 * replaceable, close after a few wrong secrets, a refused device is told why, a missing body is
 * an empty secret, only the holder (or an admin) releases, and concurrent claims have one winner.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS | 'admin';
const MAX_FAILURES = 3;
const MAX_DURATION_MS = 3_600_000;
const DEFAULT_DURATION_MS = 120_000;
const RACERS = 20;

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const auth = (who: Who): string => basic(who, who === 'admin' ? ADMIN_PASSWORD : PASSWORDS[who]);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer { status: number; type: string; text: string; json: unknown }
interface Problem { status: number; code: string; detail: string; field?: string }
interface DeviceView { id: string; name: string; state: string; applicationId: string | null; claimingAllowed: boolean | null; accessToken?: string }

/** One HTTP exchange; `body` a string is sent as is (no content type unless given), anything else as JSON. */
async function call(url: string, method: string, options: { authorization?: string; body?: unknown; contentType?: string } = {}): Promise<Answer> {
  const raw = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const contentType = options.contentType ?? (raw !== undefined && typeof options.body !== 'string' ? 'application/json' : undefined);
  const response = await fetch(url, {
    method,
    headers: {
      ...(options.authorization !== undefined ? { authorization: options.authorization } : {}),
      ...(contentType !== undefined ? { 'content-type': contentType } : {}),
    },
    ...(raw !== undefined ? { body: raw } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
}

/** Owners with an API key each (no password hashing per request, so their claims really overlap). */
async function racers(url: string, prefix: string): Promise<string[]> {
  return Promise.all(Array.from({ length: RACERS }, async (_, i) => {
    const password = `racer password ${i}`;
    const created = await call(`${url}/api/v1/accounts`, 'POST', { authorization: auth('admin'), body: { username: `${prefix}-${i}`, role: 'owner', password } });
    expect(created.status, created.text).toBe(201);
    const key = await call(`${url}/api/v1/me/api-keys`, 'POST', { authorization: basic(`${prefix}-${i}`, password), body: { name: 'race', scopes: ['claims:write'] } });
    expect(key.status, key.text).toBe(201);
    return `Bearer ${(key.json as { key: string }).key}`;
  }));
}

/**
 * Rounds of RACERS owners claiming one freshly announced device with the right secret, spread
 * over the given servers and a few milliseconds (so some arrive while the winner commits):
 * exactly one SUCCESS per round, every other answer CLAIMED (never FAILURE).
 */
async function raceByName(servers: readonly DeedServer[], prefix: string, rounds = 8): Promise<void> {
  const url = (i: number): string => servers[i % servers.length]?.url ?? '';
  const makerPassword = `${prefix} maker password`;
  expect((await call(`${url(0)}/api/v1/accounts`, 'POST', { authorization: auth('admin'), body: { username: `${prefix}-maker`, role: 'provisioner', password: makerPassword } })).status).toBe(201);
  const owners = await racers(url(0), prefix);
  for (let round = 0; round < rounds; round += 1) {
    const name = `${prefix}-contested-${round}`;
    const created = await call(`${url(round)}/api/v1/ip-devices`, 'POST', { authorization: basic(`${prefix}-maker`, makerPassword), body: { name } });
    expect(created.status, created.text).toBe(201);
    const opened = await call(`${url(round + 1)}/api/v1/${(created.json as DeviceView).accessToken ?? ''}/claim`, 'POST', { body: { secretKey: 'race', durationMs: 60_000 } });
    expect(opened.status, opened.text).toBe(200);
    const answers = await Promise.all(owners.map(async (authorization, i) => {
      if (round > 0) await sleep(Math.random() * 4);
      return call(`${url(i)}/api/customer/device/${name}/claim`, 'POST', { authorization, body: { secretKey: 'race' } });
    }));
    const summary = answers.map((a) => `${a.status} ${a.text.slice(0, 40)}`).join(', ');
    expect(answers.filter((a) => a.status === 200), summary).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 200 && a.text !== '"CLAIMED"'), summary).toEqual([]);
  }
}

describe('device-opened claim windows over HTTP', () => {
  let server: DeedServer;
  const data = tempDir();
  const env = {
    DEED_CLAIM_WINDOW_MAX_FAILURES: String(MAX_FAILURES),
    DEED_CLAIM_MAX_DURATION_MS: String(MAX_DURATION_MS),
    DEED_CLAIM_DEFAULT_DURATION_MS: String(DEFAULT_DURATION_MS),
    DEED_LOG_LEVEL: 'warn',
  };

  /** A device of the maker's: its access token. */
  const addDevice = async (name: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const created = await call(`${server.url}/api/v1/ip-devices`, 'POST', { authorization: auth('maker'), body: { name, ...extra } });
    expect(created.status, created.text).toBe(201);
    return (created.json as DeviceView).accessToken ?? '';
  };
  const announce = (token: string, body?: unknown, contentType?: string): Promise<Answer> =>
    call(`${server.url}/api/v1/${token}/claim`, 'POST', { ...(body !== undefined ? { body } : {}), ...(contentType !== undefined ? { contentType } : {}) });
  const claim = (who: Who, name: string, body?: unknown): Promise<Answer> =>
    call(`${server.url}/api/customer/device/${encodeURIComponent(name)}/claim`, 'POST', { authorization: auth(who), ...(body !== undefined ? { body } : {}) });
  const release = (who: Who, name: string): Promise<Answer> =>
    call(`${server.url}/api/customer/device/${encodeURIComponent(name)}/claim`, 'DELETE', { authorization: auth(who) });
  const expectOutcome = (answer: Answer, outcome: 'FAILURE' | 'CLAIMED'): void => {
    expect(answer.status, answer.text).toBe(400);
    expect(answer.text).toBe(`"${outcome}"`);
    expect(answer.type).toMatch(/^application\/json/);
  };
  const expectSuccess = (answer: Answer, name: string): DeviceView => {
    expect(answer.status, answer.text).toBe(200);
    const body = answer.json as { response: string; device: DeviceView };
    expect(body.response).toBe('SUCCESS');
    expect(body.device).toMatchObject({ name, state: 'claimed' });
    expect(body.device.applicationId).not.toBeNull();
    return body.device;
  };
  const expectProblem = (answer: Answer, status: number, code: string): Problem => {
    expect(answer.status, answer.text).toBe(status);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    const problem = answer.json as Problem;
    expect(problem).toMatchObject({ status, code });
    expect(problem.detail.length).toBeGreaterThan(0);
    return problem;
  };
  const as = (who: keyof typeof PASSWORDS, args: string[]): DeedRun => runDeed(args, { env: { DEED_URL: server.url, DEED_USERNAME: who, DEED_PASSWORD: PASSWORDS[who] } });

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path, env });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      const created = await call(`${server.url}/api/v1/accounts`, 'POST', { authorization: auth('admin'), body: { username: who, role, password: PASSWORDS[who] } });
      expect(created.status, created.text).toBe(201);
    }
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
  });

  it('a device announces, an owner claims: SUCCESS; then CLAIMED for everyone', async () => {
    const token = await addDevice('thermostat-1');
    const opened = await announce(token, { secretKey: 'abc', durationMs: 60_000 });
    expect(opened.status, opened.text).toBe(200);
    expect(opened.json).toMatchObject({ result: 'OK' });
    const device = expectSuccess(await claim('olivia', 'thermostat-1', { secretKey: 'abc' }), 'thermostat-1');
    expect(device.claimingAllowed).toBeNull();
    expectOutcome(await claim('oscar', 'thermostat-1', { secretKey: 'abc' }), 'CLAIMED');
    expectOutcome(await claim('olivia', 'thermostat-1', { secretKey: 'abc' }), 'CLAIMED');
    // The owner sees it in the application it landed in (its first, created on demand).
    expect(device.applicationId).toMatch(/^default-/);
  });

  it('an expired window, a wrong secret, or no window at all: FAILURE', async () => {
    const token = await addDevice('expiring-1');
    expectOutcome(await claim('olivia', 'expiring-1', { secretKey: 'abc' }), 'FAILURE');
    expect((await announce(token, { secretKey: 'abc', durationMs: 300 })).status).toBe(200);
    await sleep(600);
    expectOutcome(await claim('olivia', 'expiring-1', { secretKey: 'abc' }), 'FAILURE');

    const other = await addDevice('wrong-secret-1');
    expect((await announce(other, { secretKey: 'right', durationMs: 60_000 })).status).toBe(200);
    expectOutcome(await claim('olivia', 'wrong-secret-1', { secretKey: 'wrong' }), 'FAILURE');
    expectOutcome(await claim('olivia', 'wrong-secret-1'), 'FAILURE');
    // Fewer wrong secrets than the limit leave the window open.
    expectSuccess(await claim('oscar', 'wrong-secret-1', { secretKey: 'right' }), 'wrong-secret-1');
  });

  it(`the window closes after ${MAX_FAILURES} wrong secrets: even the right one then fails, until the device announces again`, async () => {
    const token = await addDevice('guessed-1');
    expect((await announce(token, { secretKey: 's3cret', durationMs: 60_000 })).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES; i += 1) expectOutcome(await claim('oscar', 'guessed-1', { secretKey: `guess-${i}` }), 'FAILURE');
    expectOutcome(await claim('olivia', 'guessed-1', { secretKey: 's3cret' }), 'FAILURE');
    expect((await announce(token, { secretKey: 's3cret', durationMs: 60_000 })).status).toBe(200);
    expectSuccess(await claim('olivia', 'guessed-1', { secretKey: 's3cret' }), 'guessed-1');
  });

  it('no body is an empty secret, on both sides', async () => {
    const token = await addDevice('buttonless-1');
    const opened = await announce(token);
    expect(opened.status, opened.text).toBe(200);
    expectSuccess(await claim('olivia', 'buttonless-1'), 'buttonless-1');

    // The same with a JSON content type and an empty body, and with {} and a null secret.
    const second = await addDevice('buttonless-2');
    expect((await announce(second, '', 'application/json')).status).toBe(200);
    expectOutcome(await claim('oscar', 'buttonless-2', { secretKey: 'not-empty' }), 'FAILURE');
    expectSuccess(await claim('oscar', 'buttonless-2', {}), 'buttonless-2');
    const third = await addDevice('buttonless-3');
    expect((await announce(third, { secretKey: null })).status).toBe(200);
    expectSuccess(await claim('oscar', 'buttonless-3', { secretKey: null }), 'buttonless-3');
  });

  it('an unknown device name is 404', async () => {
    expectProblem(await claim('olivia', 'no-such-device'), 404, 'not_found');
    expectProblem(await release('olivia', 'no-such-device'), 404, 'not_found');
  });

  it('a device that is owned already is told so when it announces: 409 already_claimed', async () => {
    const token = await addDevice('owned-1');
    expect((await announce(token, { secretKey: 'x' })).status).toBe(200);
    expectSuccess(await claim('olivia', 'owned-1', { secretKey: 'x' }), 'owned-1');
    const refused = expectProblem(await announce(token, { secretKey: 'y' }), 409, 'already_claimed');
    expect(refused.detail).toContain('owned-1');
    // Nothing was opened: nobody claims it with the new secret.
    expectOutcome(await claim('oscar', 'owned-1', { secretKey: 'y' }), 'CLAIMED');
  });

  it('a new announcement replaces the window: the old secret fails, the new one works', async () => {
    const token = await addDevice('refreshed-1');
    expect((await announce(token, { secretKey: 'old', durationMs: 60_000 })).status).toBe(200);
    expect((await announce(token, { secretKey: 'new', durationMs: 60_000 })).status).toBe(200);
    expectOutcome(await claim('olivia', 'refreshed-1', { secretKey: 'old' }), 'FAILURE');
    expectSuccess(await claim('olivia', 'refreshed-1', { secretKey: 'new' }), 'refreshed-1');

    // A renewed window also gets a new expiry: a short one replaced by a long one stays open.
    const other = await addDevice('refreshed-2');
    expect((await announce(other, { secretKey: 'k', durationMs: 300 })).status).toBe(200);
    expect((await announce(other, { secretKey: 'k', durationMs: 60_000 })).status).toBe(200);
    await sleep(600);
    expectSuccess(await claim('oscar', 'refreshed-2', { secretKey: 'k' }), 'refreshed-2');
  });

  it(`durationMs above DEED_CLAIM_MAX_DURATION_MS is clamped; none (or a non-positive one) takes the default`, async () => {
    const token = await addDevice('clamped-1');
    const expiresAt = async (body: unknown): Promise<number> => {
      const before = Date.now();
      const opened = await announce(token, body);
      expect(opened.status, opened.text).toBe(200);
      return Date.parse((opened.json as { expiresAt: string }).expiresAt) - before;
    };
    const near = (actual: number, expected: number): void => {
      expect(actual).toBeGreaterThanOrEqual(expected - 1_000);
      expect(actual).toBeLessThanOrEqual(expected + 5_000);
    };
    near(await expiresAt({ secretKey: 'a', durationMs: 10 * 86_400_000 }), MAX_DURATION_MS);
    near(await expiresAt({ secretKey: 'a' }), DEFAULT_DURATION_MS);
    near(await expiresAt({ secretKey: 'a', durationMs: 0 }), DEFAULT_DURATION_MS);
    near(await expiresAt({ secretKey: 'a', durationMs: -5 }), DEFAULT_DURATION_MS);
    near(await expiresAt({ secretKey: 'a', durationMs: 30_000 }), 30_000);
  });

  it(`${RACERS} owners claim at once with the right secret: exactly one SUCCESS, the others CLAIMED`, async () => {
    await raceByName([server], 'sqlite');
  }, 120_000);

  it('bad input from a device: a clear error, and nothing stored', async () => {
    const token = await addDevice('sloppy-1');
    const devicesBefore = (await call(`${server.url}/api/v1/ip-devices`, 'GET', { authorization: auth('maker') })).json as DeviceView[];

    const notJson = expectProblem(await announce(token, '{"secretKey": nope', 'application/json'), 400, 'invalid_input');
    expect(notJson.detail).toMatch(/not valid JSON/);
    expectProblem(await announce(token, 'secretKey=abc', 'text/plain'), 400, 'invalid_input');
    expect(expectProblem(await announce(token, ['abc']), 400, 'invalid_input').detail).toMatch(/JSON object/);
    expectProblem(await announce(token, 'abc'), 400, 'invalid_input');
    expectProblem(await announce(token, '"abc"', 'application/json'), 400, 'invalid_input');
    expectProblem(await announce(token, 42), 400, 'invalid_input');
    expectProblem(await announce(token, { secretKey: 'x'.repeat(9 * 1024) }), 413, 'payload_too_large');
    expect(expectProblem(await announce(token, { secretKey: 5 }), 400, 'invalid_input').field).toBe('secretKey');
    expect(expectProblem(await announce(token, { secretKey: 'x'.repeat(257) }), 400, 'invalid_input').field).toBe('secretKey');
    expect(expectProblem(await announce(token, { secretKey: 'a', durationMs: 'soon' }), 400, 'invalid_input').field).toBe('durationMs');
    expect(expectProblem(await announce(token, { secretKey: 'a', durationMs: true }), 400, 'invalid_input').field).toBe('durationMs');
    const unknown = await announce('dt_not-a-token-of-ours', { secretKey: 'a' });
    expectProblem(unknown, 401, 'unknown_access_token');
    expect(unknown.text).not.toContain('dt_not-a-token-of-ours');
    expectProblem(await announce('', { secretKey: 'a' }), 401, 'unknown_access_token');

    // No window was opened by any of these, and no device was created.
    for (const secretKey of ['', 'x', 'a', 'abc']) expectOutcome(await claim('olivia', 'sloppy-1', { secretKey }), 'FAILURE');
    const devicesAfter = (await call(`${server.url}/api/v1/ip-devices`, 'GET', { authorization: auth('maker') })).json as DeviceView[];
    expect(devicesAfter.map((d) => d.name)).toEqual(devicesBefore.map((d) => d.name));
    // The user side refuses a secret of the wrong type too.
    expect(expectProblem(await claim('olivia', 'sloppy-1', { secretKey: 7 }), 400, 'invalid_input').field).toBe('secretKey');
  });

  it('deed claim --name --secret: the device as JSON; exit 1 with a clear message for FAILURE and CLAIMED', async () => {
    const created = await runDeedAsync(['device', 'add', '--name', 'cli-1'], { env: { DEED_URL: server.url, DEED_USERNAME: 'maker', DEED_PASSWORD: PASSWORDS.maker } });
    expect(created.code, created.stderr).toBe(0);
    const token = created.json<DeviceView>().accessToken ?? '';
    expect(token).toMatch(/^dt_/);
    expect((await announce(token, { secretKey: '1234', durationMs: 60_000 })).status).toBe(200);

    const wrong = as('olivia', ['claim', '--name', 'cli-1', '--secret', '9999']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/could not claim cli-1: no claim window is open, it expired, or the secret is wrong \(FAILURE\)/);
    const claimed = as('olivia', ['claim', '--name', 'cli-1', '--secret', '1234']);
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(claimed.json<DeviceView>()).toMatchObject({ name: 'cli-1', state: 'claimed' });
    const again = as('oscar', ['claim', '--name', 'cli-1', '--secret', '1234']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/device cli-1 is already claimed/);
    const missing = as('oscar', ['claim', '--name', 'no-such-device', '--secret', '1234']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no device named no-such-device/);
  });

  it('the audit log records device.claimed, device.claim_failed and device.released', async () => {
    const token = await addDevice('audited-1');
    expect((await announce(token, { secretKey: 'k' })).status).toBe(200);
    expectOutcome(await claim('oscar', 'audited-1', { secretKey: 'nope' }), 'FAILURE');
    expectSuccess(await claim('olivia', 'audited-1', { secretKey: 'k' }), 'audited-1');
    expectOutcome(await claim('oscar', 'audited-1', { secretKey: 'k' }), 'CLAIMED');
    expect((await release('olivia', 'audited-1')).status).toBe(200);

    const events: { action: string; actor: string; outcome: string; details: Record<string, unknown> }[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const page = await call(`${server.url}/api/v1/audit?afterSeq=${after}&limit=1000`, 'GET', { authorization: auth('admin') });
      expect(page.status, page.text).toBe(200);
      const body = page.json as { events: typeof events; next: number | null };
      events.push(...body.events);
      after = body.next;
    }
    const mine = events.filter((e) => e.details['deviceName'] === 'audited-1').map((e) => [e.action, e.actor, e.outcome, e.details['reason'] ?? null]);
    expect(mine).toEqual([
      ['device.claim_failed', 'oscar', 'failure', 'no_window_or_wrong_secret'],
      ['device.claimed', 'olivia', 'success', null],
      ['device.claim_failed', 'oscar', 'failure', 'already_claimed'],
      ['device.released', 'olivia', 'success', null],
    ]);
    // The chain still verifies.
    expect((await call(`${server.url}/api/v1/audit/verify`, 'GET', { authorization: auth('admin') })).json).toMatchObject({ ok: true });
  });

  it('an open window survives a restart of the server', async () => {
    const token = await addDevice('durable-1');
    expect((await announce(token, { secretKey: 'persist', durationMs: 600_000 })).status).toBe(200);
    await server.stop();
    server = await startDeed({ dataDir: data.path, env });
    expectSuccess(await claim('olivia', 'durable-1', { secretKey: 'persist' }), 'durable-1');
  });
});

describe('device-opened claiming with DEED_CLAIM_ALLOW_BY_DEFAULT=false', () => {
  let server: DeedServer;
  const data = tempDir();

  const announce = (token: string, body: unknown): Promise<Answer> => call(`${server.url}/api/v1/${token}/claim`, 'POST', { body });
  const claim = (who: Who, name: string, body: unknown): Promise<Answer> =>
    call(`${server.url}/api/customer/device/${name}/claim`, 'POST', { authorization: auth(who), body });
  const release = (who: Who, name: string): Promise<Answer> => call(`${server.url}/api/customer/device/${name}/claim`, 'DELETE', { authorization: auth(who) });
  const asMaker = (args: string[]): Promise<DeedRun> => runDeedAsync(args, { env: { DEED_URL: server.url, DEED_USERNAME: 'maker', DEED_PASSWORD: PASSWORDS.maker } });
  const listed = async (name: string): Promise<DeviceView | undefined> => {
    const run = await asMaker(['device', 'list-ip']);
    expect(run.code, run.stderr).toBe(0);
    return run.json<DeviceView[]>().find((d) => d.name === name);
  };

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path, env: { DEED_CLAIM_ALLOW_BY_DEFAULT: 'false', DEED_LOG_LEVEL: 'warn' } });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      expect((await call(`${server.url}/api/v1/accounts`, 'POST', { authorization: auth('admin'), body: { username: who, role, password: PASSWORDS[who] } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
  });

  it('refuses a window unless the device was created with claimingAllowed; release by the holder allows it again', async () => {
    const plain = await asMaker(['device', 'add', '--name', 'locked-1']);
    expect(plain.code, plain.stderr).toBe(0);
    const refused = await announce(plain.json<DeviceView>().accessToken ?? '', { secretKey: 'k' });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json).toMatchObject({ code: 'claiming_not_allowed', status: 403 });
    expect((await claim('olivia', 'locked-1', { secretKey: 'k' })).text).toBe('"FAILURE"');

    const allowed = await asMaker(['device', 'add', '--name', 'open-1', '--claiming-allowed']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.json<DeviceView>().claimingAllowed).toBe(true);
    const token = allowed.json<DeviceView>().accessToken ?? '';
    expect((await announce(token, { secretKey: 'k' })).status).toBe(200);
    const won = await claim('olivia', 'open-1', { secretKey: 'k' });
    expect(won.status, won.text).toBe(200);
    // Claiming clears the flag; the device, owned, is told so.
    expect((won.json as { device: DeviceView }).device.claimingAllowed).toBeNull();
    expect((await listed('open-1'))?.claimingAllowed).toBeNull();
    expect((await announce(token, { secretKey: 'k2' })).json).toMatchObject({ code: 'already_claimed', status: 409 });

    // Only the holder (or an admin) releases: another owner is told there is no such device of theirs.
    const stranger = await release('oscar', 'open-1');
    expect(stranger.status, stranger.text).toBe(404);
    expect(stranger.json).toMatchObject({ code: 'not_found' });
    const released = await release('olivia', 'open-1');
    expect(released.status, released.text).toBe(200);
    expect(released.json).toMatchObject({ name: 'open-1', state: 'unclaimed', applicationId: null, claimingAllowed: true });
    expect((await listed('open-1'))?.claimingAllowed).toBe(true);
    // Released twice: nothing held any more.
    expect((await release('olivia', 'open-1')).status).toBe(404);

    // Claimable again; this time an admin releases it.
    expect((await announce(token, { secretKey: 'k3' })).status).toBe(200);
    expect((await claim('oscar', 'open-1', { secretKey: 'k3' })).status).toBe(200);
    expect((await release('olivia', 'open-1')).status).toBe(404);
    const byAdmin = await release('admin', 'open-1');
    expect(byAdmin.status, byAdmin.text).toBe(200);
    expect(byAdmin.json).toMatchObject({ state: 'unclaimed', claimingAllowed: true });
  });

  it('deed device add --names-file with a claiming_allowed column', async () => {
    const files = tempDir('deed-names-');
    try {
      const { writeFileSync } = await import('node:fs');
      const csv = `${files.path}/names.csv`;
      writeFileSync(csv, 'name,claiming_allowed\nbulk-1,true\nbulk-2,\nbulk-1,true\n');
      const run = await asMaker(['device', 'add', '--names-file', csv]);
      expect(run.code).toBe(1);
      const rows = run.json<{ index: number; ok: boolean; device?: DeviceView; code?: string }[]>();
      expect(rows.map((r) => r.ok)).toEqual([true, true, false]);
      expect(rows[2]?.code).toBe('already_exists');
      expect(rows[0]?.device?.claimingAllowed).toBe(true);
      expect(rows[1]?.device?.claimingAllowed).toBeNull();
      expect((await announce(rows[0]?.device?.accessToken ?? '', {})).status).toBe(200);
      expect((await announce(rows[1]?.device?.accessToken ?? '', {})).status).toBe(403);
    } finally {
      files.remove();
    }
  });
});

const postgres = await postgresAvailable();
const where = new URL(adminPostgresUrl).host;

describe('concurrent claims by name on two deed serve processes sharing PostgreSQL', () => {
  const dirs = [tempDir(), tempDir()];
  const servers: DeedServer[] = [];
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await database?.drop();
    for (const dir of dirs) dir.remove();
  });

  it.runIf(!postgres && postgresRequired)(`needs PostgreSQL at ${where} on CI`, () => {
    expect.fail(`PostgreSQL is required on CI (CI=true) but ${where} is not reachable`);
  });

  it.skipIf(!postgres)(`${RACERS} owners at once, round after round: exactly one SUCCESS, the others CLAIMED (never FAILURE)`, async () => {
    database = await createTestDatabase();
    const env = { DEED_MASTER_KEY: randomBytes(32).toString('hex'), DEED_LOG_LEVEL: 'warn' };
    for (const dir of dirs) servers.push(await startDeed({ dataDir: dir.path, databaseUrl: database.url, env }));
    await raceByName(servers, 'pg', 12);
  }, 120_000);
});
