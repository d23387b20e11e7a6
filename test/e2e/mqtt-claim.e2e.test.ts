import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeedAsync, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { freePort } from '../support/free-port.js';
import { createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../support/postgres.js';

/**
 * ThingsBoard-compatible device claiming over MQTT against a real `deed serve`: devices (the
 * `mqtt` npm client and Debian's mosquitto_pub) connect with their access token as the
 * username and publish to `v1/devices/me/claim`, gateways to `v1/gateway/claim`; each reads its
 * outcome on its own response topic; an owner then claims over HTTP. Two instances on one
 * PostgreSQL database and one Redis share windows and MQTT sessions.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS | 'admin';
const DEVICE_TOPIC = 'v1/devices/me/claim';
const DEVICE_RESPONSE = 'v1/devices/me/claim/response';
const GATEWAY_TOPIC = 'v1/gateway/claim';
const GATEWAY_RESPONSE = 'v1/gateway/claim/response';

const authorization = (who: Who): string =>
  `Basic ${Buffer.from(`${who}:${who === 'admin' ? ADMIN_PASSWORD : PASSWORDS[who]}`).toString('base64')}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hasMosquittoPub = spawnSync('mosquitto_pub', ['--help']).error === undefined;

interface Answer { status: number; text: string; json: unknown }

async function call(url: string, method: string, who: Who, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { authorization: authorization(who), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** An owner claims a device by name over HTTP (ThingsBoard's customer claim). */
const claim = (server: DeedServer, who: Who, name: string, secretKey: string): Promise<Answer> =>
  call(`${server.url}/api/customer/device/${encodeURIComponent(name)}/claim`, 'POST', who, { secretKey });

function expectSuccess(answer: Answer, name: string): void {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json).toMatchObject({ response: 'SUCCESS', device: { name, state: 'claimed' } });
}
function expectOutcome(answer: Answer, outcome: 'FAILURE' | 'CLAIMED'): void {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.text).toBe(`"${outcome}"`);
}

async function createAccounts(server: DeedServer): Promise<void> {
  for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
    const created = await call(`${server.url}/api/v1/accounts`, 'POST', 'admin', { username: who, role, password: PASSWORDS[who] });
    expect(created.status, created.text).toBe(201);
  }
}

/** The maker creates devices with `deed device add --name` (side by side); their access tokens. */
async function addDevices(server: DeedServer, ...names: string[]): Promise<string[]> {
  const runs = await Promise.all(names.map((name) => runDeedAsync(['device', 'add', '--name', name], {
    env: { DEED_URL: server.url, DEED_USERNAME: 'maker', DEED_PASSWORD: PASSWORDS.maker },
  })));
  return runs.map((run, i) => {
    expect(run.code, `${names[i]}: ${run.stderr}${run.stdout}`).toBe(0);
    const view = run.json<{ name: string; accessToken: string }>();
    expect(view.name).toBe(names[i]);
    expect(view.accessToken).toMatch(/^dt_/);
    return view.accessToken;
  });
}

/** An MQTT device: its client and what arrived on the response topics. */
interface Device {
  readonly client: MqttClient;
  readonly received: { topic: string; body: unknown }[];
}

const clients: MqttClient[] = [];

async function connectDevice(port: number, token: string, options: IClientOptions = {}): Promise<Device> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: token, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  clients.push(client);
  const received: Device['received'] = [];
  client.on('message', (topic, payload) => {
    let body: unknown = payload.toString();
    try {
      body = JSON.parse(payload.toString());
    } catch {
      // kept as text
    }
    received.push({ topic, body });
  });
  return { client, received };
}

async function subscribed(device: Device, topic = DEVICE_RESPONSE): Promise<Device> {
  await device.client.subscribeAsync(topic, { qos: 1 });
  return device;
}

/** Publishes one claim message (QoS 1: acknowledged once stored) and waits for the response. */
async function announce(device: Device, payload: string | Buffer, topic = DEVICE_TOPIC): Promise<unknown> {
  const before = device.received.length;
  await device.client.publishAsync(topic, payload, { qos: 1 });
  const end = Date.now() + 5_000;
  while (device.received.length === before) {
    if (Date.now() > end) throw new Error(`no response to ${topic}`);
    await sleep(10);
  }
  return device.received[before]?.body;
}

function mosquittoPub(port: number, token: string, topic: string, message: string): { code: number | null; output: string } {
  const run = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', token, '-t', topic, '-m', message, '-q', '1'], {
    encoding: 'utf8', timeout: 15_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

afterAll(async () => {
  for (const client of clients) await client.endAsync(true).catch(() => undefined);
});

describe('claim windows over MQTT (one deed serve, SQLite)', () => {
  let server: DeedServer;
  let port = 0;
  const data = tempDir();

  beforeAll(async () => {
    port = await freePort();
    server = await startDeed({ dataDir: data.path, env: { DEED_MQTT_PORT: String(port), DEED_LOG_LEVEL: 'info' } });
    await createAccounts(server);
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
  });

  it('announces the broker in the log', () => {
    expect(server.output()).toContain(`mqtt://127.0.0.1:${port}`);
  });

  it('an mqtt.js device opens its window, only it hears OK, an owner claims: SUCCESS, then CLAIMED; announcing again: already_claimed', async () => {
    const [token, otherToken] = await addDevices(server, 'mqtt-thermostat-1', 'mqtt-bystander-1');
    const device = await subscribed(await connectDevice(port, token ?? ''));
    // Another device on the same "me" topic hears nothing of it.
    const bystander = await subscribed(await connectDevice(port, otherToken ?? ''));
    const answer = await announce(device, JSON.stringify({ secretKey: 'abc', durationMs: 60_000 }));
    expect(answer).toMatchObject({ result: 'OK', expiresAt: expect.any(String) });
    expect(Date.parse((answer as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 50_000);

    expectOutcome(await claim(server, 'olivia', 'mqtt-thermostat-1', 'wrong'), 'FAILURE');
    expectSuccess(await claim(server, 'olivia', 'mqtt-thermostat-1', 'abc'), 'mqtt-thermostat-1');
    expectOutcome(await claim(server, 'oscar', 'mqtt-thermostat-1', 'abc'), 'CLAIMED');

    expect(await announce(device, JSON.stringify({ secretKey: 'again' }))).toMatchObject({
      result: 'ERROR', code: 'already_claimed', message: expect.stringContaining('mqtt-thermostat-1'),
    });
    await sleep(200);
    expect(bystander.received).toEqual([]);
  });

  it.skipIf(!hasMosquittoPub && !postgresRequired)('Debian\'s mosquitto_pub opens windows for a device and a gateway; a bad token is refused', async () => {
    const [token, gatewayToken] = await addDevices(server, 'mosquitto-sensor-1', 'mosquitto-gateway-1');
    const sent = mosquittoPub(port, token ?? '', DEVICE_TOPIC, '{"secretKey":"from-mosquitto","durationMs":60000}');
    expect(sent.code, sent.output).toBe(0);
    expectSuccess(await claim(server, 'oscar', 'mosquitto-sensor-1', 'from-mosquitto'), 'mosquitto-sensor-1');

    const gateway = mosquittoPub(port, gatewayToken ?? '', GATEWAY_TOPIC, '{"Mosquitto Child A":{"secretKey":"a","durationMs":60000},"Mosquitto Child B":{"secretKey":"b"}}');
    expect(gateway.code, gateway.output).toBe(0);
    expectSuccess(await claim(server, 'olivia', 'Mosquitto Child A', 'a'), 'Mosquitto Child A');
    expectSuccess(await claim(server, 'olivia', 'Mosquitto Child B', 'b'), 'Mosquitto Child B');

    const refused = mosquittoPub(port, 'dt_not-a-real-token', DEVICE_TOPIC, '{}');
    expect(refused.code).not.toBe(0);
    expect(refused.output.toLowerCase()).toContain('bad user name or password');
  });

  it('a taken DEED_MQTT_PORT stops the boot with a message that says what to do', async () => {
    const dir = tempDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const takenPort = (taken.address() as AddressInfo).port;
    try {
      const run = await runDeedAsync(['serve'], {
        env: {
          DEED_DATA_DIR: dir.path, DEED_HTTP_HOST: '127.0.0.1', DEED_HTTP_PORT: String(await freePort()), DEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
          DEED_COAP_PORT: '0', DEED_MQTT_PORT: String(takenPort), DEED_LOG_LEVEL: 'warn',
        },
      });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`DEED_MQTT_PORT ${takenPort} is in use`);
      expect(run.stderr).toContain('set DEED_MQTT_PORT to another port or 0 to disable MQTT');
    } finally {
      taken.close();
      dir.remove();
    }
  });

  it('a bad or missing access token: CONNACK refused', async () => {
    await expect(connectDevice(port, 'dt_not-a-real-token')).rejects.toMatchObject({ code: 4 });
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
  });

  it('non-JSON, a JSON array, wrong types and a huge payload are answered with an error, and open nothing', async () => {
    const [token] = await addDevices(server, 'mqtt-garbled-1');
    const device = await subscribed(await connectDevice(port, token ?? ''));
    for (const [payload, code] of [
      ['{"secretKey":', 'invalid_input'],
      ['["secretKey","abc"]', 'invalid_input'],
      ['"abc"', 'invalid_input'],
      ['{"secretKey":123}', 'invalid_input'],
      ['{"secretKey":"abc","durationMs":"60000"}', 'invalid_input'],
      [JSON.stringify({ secretKey: 'abc', padding: 'x'.repeat(20_000) }), 'payload_too_large'],
    ] as const) {
      expect(await announce(device, payload), payload.slice(0, 40)).toMatchObject({ result: 'ERROR', code, message: expect.any(String) });
    }
    // None of them opened a window, with any secret.
    expectOutcome(await claim(server, 'olivia', 'mqtt-garbled-1', 'abc'), 'FAILURE');
    expectOutcome(await claim(server, 'olivia', 'mqtt-garbled-1', ''), 'FAILURE');

    // A packet far beyond any claim message is not even read: the connection is cut.
    const cut = new Promise<void>((resolve) => device.client.once('close', () => resolve()));
    device.client.publish(DEVICE_TOPIC, Buffer.alloc(1024 * 1024, 0x20), { qos: 1 });
    await cut;
    expectOutcome(await claim(server, 'olivia', 'mqtt-garbled-1', ''), 'FAILURE');
  });

  it('a gateway announces two children in one message; one is owned already and the gateway is told which', async () => {
    const [token] = await addDevices(server, 'mqtt-gateway-1');
    const gateway = await subscribed(await connectDevice(port, token ?? ''), GATEWAY_RESPONSE);
    const first = await announce(gateway, JSON.stringify({ 'Device A': { secretKey: 'a1', durationMs: 60_000 }, 'Device B': { secretKey: 'b1', durationMs: 60_000 } }), GATEWAY_TOPIC);
    expect(first).toMatchObject({ 'Device A': { result: 'OK' }, 'Device B': { result: 'OK' } });
    expectSuccess(await claim(server, 'oscar', 'Device B', 'b1'), 'Device B');

    const second = await announce(gateway, JSON.stringify({ 'Device A': { secretKey: 'a2', durationMs: 60_000 }, 'Device B': { secretKey: 'b2', durationMs: 60_000 } }), GATEWAY_TOPIC);
    expect(second).toMatchObject({ 'Device A': { result: 'OK', expiresAt: expect.any(String) }, 'Device B': { result: 'CLAIMED', message: expect.any(String) } });
    expectOutcome(await claim(server, 'olivia', 'Device A', 'a1'), 'FAILURE');
    expectSuccess(await claim(server, 'olivia', 'Device A', 'a2'), 'Device A');
    expectOutcome(await claim(server, 'olivia', 'Device B', 'b2'), 'CLAIMED');

    // A child whose entry is bad is not created: claiming it by name is 404.
    const third = await announce(gateway, JSON.stringify({ 'Device C': { secretKey: 7 }, 'Device D': { secretKey: 'd' } }), GATEWAY_TOPIC);
    expect(third).toMatchObject({ 'Device C': { result: 'ERROR' }, 'Device D': { result: 'OK' } });
    expect((await claim(server, 'olivia', 'Device C', '')).status).toBe(404);
    expect(await announce(gateway, '["Device A"]', GATEWAY_TOPIC)).toMatchObject({ result: 'ERROR', code: 'invalid_input' });
  });

  it('two gateways with children: each gateway hears only its own results', async () => {
    const [one, two] = await addDevices(server, 'mqtt-gateway-2', 'mqtt-gateway-3');
    const first = await subscribed(await connectDevice(port, one ?? ''), GATEWAY_RESPONSE);
    const second = await subscribed(await connectDevice(port, two ?? ''), GATEWAY_RESPONSE);
    expect(await announce(first, JSON.stringify({ 'Child of two': {} }), GATEWAY_TOPIC)).toMatchObject({ 'Child of two': { result: 'OK' } });
    await sleep(200);
    expect(second.received).toEqual([]);
  });
});

describe('two deed serve instances on one PostgreSQL database and one Redis', () => {
  let database: TestDatabase | undefined;
  const servers: DeedServer[] = [];
  const mqttPorts: number[] = [];
  const dirs = [tempDir(), tempDir()];
  // A Redis database of its own, emptied of Deed's keys afterwards.
  const redisUrl = process.env['DEED_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/13';
  let available = false;

  beforeAll(async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const redisUp = await redis.connect().then(() => true, () => false);
    redis.disconnect();
    const postgresUp = await postgresAvailable();
    if (!redisUp || !postgresUp) {
      if (postgresRequired) throw new Error(`on CI both are required: Redis at ${redisUrl} ${redisUp ? 'up' : 'down'}, PostgreSQL ${postgresUp ? 'up' : 'down'}`);
      return;
    }
    available = true;
    database = await createTestDatabase();
    const masterKey = randomBytes(32).toString('hex');
    for (const dir of dirs) {
      const port = await freePort();
      mqttPorts.push(port);
      // One after the other: the first migrates the database.
      servers.push(await startDeed({
        dataDir: dir.path, databaseUrl: database.url,
        env: { DEED_MASTER_KEY: masterKey, DEED_MQTT_PORT: String(port), DEED_REDIS_URL: redisUrl, DEED_LOG_LEVEL: 'warn' },
      }));
    }
    const [a] = servers;
    if (a !== undefined) await createAccounts(a);
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await database?.drop();
    for (const dir of dirs) dir.remove();
    if (available) {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys('deed:mqtt:*');
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('a device connected to instance A opens a window; a user claims through instance B: SUCCESS', async ({ skip }) => {
    if (!available) skip();
    const [a, b] = servers as [DeedServer, DeedServer];
    const [token] = await addDevices(b, 'shared-sensor-1');
    const device = await subscribed(await connectDevice(mqttPorts[0] ?? 0, token ?? ''));
    expect(await announce(device, JSON.stringify({ secretKey: 'shared', durationMs: 60_000 }))).toMatchObject({ result: 'OK' });
    expectSuccess(await claim(b, 'olivia', 'shared-sensor-1', 'shared'), 'shared-sensor-1');
    expectOutcome(await claim(a, 'oscar', 'shared-sensor-1', 'shared'), 'CLAIMED');
  });

  it('MQTT sessions live in Redis: a device that moves from A to B keeps its subscription, and is taken off A', async ({ skip }) => {
    if (!available) skip();
    const [, b] = servers as [DeedServer, DeedServer];
    const [token] = await addDevices(b, 'roaming-sensor-1');
    const clientId = `roaming-${randomBytes(4).toString('hex')}`;
    const onA = await subscribed(await connectDevice(mqttPorts[0] ?? 0, token ?? '', { clientId, clean: false }));
    const takenOff = new Promise<void>((resolve) => onA.client.once('close', () => resolve()));
    // Same client id on B, no SUBSCRIBE: the session (and its subscription) comes from Redis.
    const onB = await connectDevice(mqttPorts[1] ?? 0, token ?? '', { clientId, clean: false });
    await takenOff;
    expect(await announce(onB, JSON.stringify({ secretKey: 'moved', durationMs: 60_000 }))).toMatchObject({ result: 'OK' });
    expectSuccess(await claim(b, 'oscar', 'roaming-sensor-1', 'moved'), 'roaming-sensor-1');
  });
});
