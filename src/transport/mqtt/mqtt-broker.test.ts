import { createHash, randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { ClaimWindowDeps } from '../../claiming/claim-window.js';
import type { ClaimWindowRecord, IpDeviceRecord, IpDeviceStore, NewIpDevice } from '../../claiming/ip-device.js';
import { PacketSizeMeter, PacketTooLargeError } from './packet-size-guard.js';
import { startMqttBroker, type MqttBroker } from './mqtt-broker.js';

/** The few IpDeviceStore operations the device side uses, in memory. */
function memoryStore(): IpDeviceStore & { windows: Map<string, Omit<ClaimWindowRecord, 'failures'>>; devices: Map<string, IpDeviceRecord> } {
  const devices = new Map<string, IpDeviceRecord>();
  const windows = new Map<string, Omit<ClaimWindowRecord, 'failures'>>();
  const unused = (): never => { throw new Error('not used here'); };
  return {
    devices,
    windows,
    async create(input: NewIpDevice) {
      const now = new Date();
      const record: IpDeviceRecord = { ...input, applicationId: null, claimedAt: null, version: 1, createdAt: now, updatedAt: now };
      devices.set(record.id, record);
      return record;
    },
    async get(id) { return devices.get(id) ?? null; },
    async getByTokenHash(hash) { return [...devices.values()].find((d) => d.accessTokenHash === hash) ?? null; },
    async findByName(name) { return [...devices.values()].filter((d) => d.name === name); },
    async findChild(gatewayId, name) { return [...devices.values()].find((d) => d.gatewayId === gatewayId && d.name === name) ?? null; },
    async putWindow(window, policy) {
      const device = devices.get(window.deviceId);
      if (device === undefined || device.applicationId !== null || !(device.claimingAllowed ?? policy.allowClaimingByDefault)) return false;
      windows.set(window.deviceId, window);
      return true;
    },
    async getWindow(id) { const w = windows.get(id); return w === undefined ? null : { ...w, failures: 0 }; },
    list: unused, update: unused, recordWindowFailure: unused, purgeExpiredWindows: unused,
  };
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the MQTT broker (in-memory store)', () => {
  const store = memoryStore();
  const deps: ClaimWindowDeps = {
    ipDevices: store,
    applications: { get: async () => null, listByOwner: async () => [], create: async () => { throw new Error('not used'); } },
    vault: { seal: (plaintext) => ({ keyId: 'k', nonce: '', ciphertext: Buffer.from(plaintext).toString('base64') }) as never, open: () => new Uint8Array() },
    audit: { append: async () => undefined } as never,
    clock: { now: () => new Date() },
    hashToken,
    settings: { allowClaimingByDefault: true, defaultDurationMs: 60_000, maxDurationMs: 3_600_000, maxSecretFailures: 3 },
  };
  let broker: MqttBroker;
  const clients: MqttClient[] = [];

  const device = async (name: string, patch: Partial<IpDeviceRecord> = {}): Promise<{ record: IpDeviceRecord; token: string }> => {
    const token = `dt_${randomUUID()}`;
    const record = await store.create({ id: randomUUID(), name, scope: 'maker', provisionerId: 'maker', gatewayId: null, accessTokenHash: hashToken(token), claimingAllowed: null });
    const patched = { ...record, ...patch };
    store.devices.set(record.id, patched);
    return { record: patched, token };
  };
  const connect = async (username: string): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username, reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(client);
    return client;
  };
  /** Subscribes to `topic` and collects what arrives there. */
  const listen = async (client: MqttClient, topic: string): Promise<unknown[]> => {
    const received: unknown[] = [];
    client.on('message', (t, payload) => { if (t === topic) received.push(JSON.parse(payload.toString())); });
    await client.subscribeAsync(topic, { qos: 1 });
    return received;
  };
  const until = async (check: () => boolean, ms = 3_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeAll(async () => {
    broker = await startMqttBroker({ host: '127.0.0.1', port: 0, deps, logger: silent });
  });
  afterAll(async () => {
    for (const client of clients) await client.endAsync(true).catch(() => undefined);
    await broker.close();
  });

  it('opens the window of the device whose token is the username and answers that connection only', async () => {
    const a = await device('sensor-a');
    const b = await device('sensor-b');
    const clientA = await connect(a.token);
    const clientB = await connect(b.token);
    const gotA = await listen(clientA, 'v1/devices/me/claim/response');
    const gotB = await listen(clientB, 'v1/devices/me/claim/response');
    await clientA.publishAsync('v1/devices/me/claim', JSON.stringify({ secretKey: 'abc', durationMs: 30_000 }), { qos: 1 });
    await until(() => gotA.length === 1);
    expect(gotA[0]).toMatchObject({ result: 'OK', expiresAt: expect.any(String) });
    expect(store.windows.get(a.record.id)?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 25_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(gotB).toEqual([]);
  });

  it('refuses a bad token with CONNACK "bad user name or password", and no username at all', async () => {
    await expect(connect('dt_not-a-token')).rejects.toThrow(/Bad username or password/i);
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/i);
  });

  it('answers refusals the device can read, and stores nothing for them', async () => {
    const owned = await device('owned', { applicationId: 'app-1' });
    const closed = await device('closed', { claimingAllowed: false });
    const plain = await device('plain');
    for (const [who, payload, code] of [
      [owned, '{}', 'already_claimed'],
      [closed, '{}', 'claiming_not_allowed'],
      [plain, 'not json', 'invalid_input'],
      [plain, '[1,2]', 'invalid_input'],
      [plain, '{"secretKey":5}', 'invalid_input'],
      [plain, '{"durationMs":"soon"}', 'invalid_input'],
      [plain, Buffer.from([0xff, 0xfe]), 'invalid_input'],
      [plain, 'x'.repeat(9_000), 'payload_too_large'],
    ] as const) {
      const client = await connect(who.token);
      const got = await listen(client, 'v1/devices/me/claim/response');
      await client.publishAsync('v1/devices/me/claim', payload, { qos: 1 });
      await until(() => got.length === 1);
      expect(got[0], String(payload).slice(0, 20)).toMatchObject({ result: 'ERROR', code, message: expect.any(String) });
      await client.endAsync();
    }
    expect(store.windows.has(owned.record.id)).toBe(false);
    expect(store.windows.has(closed.record.id)).toBe(false);
    expect(store.windows.has(plain.record.id)).toBe(false);
  });

  it('an empty message opens a window with an empty secret and the default duration', async () => {
    const d = await device('button-only');
    const client = await connect(d.token);
    await client.publishAsync('v1/devices/me/claim', '', { qos: 1 });
    await until(() => store.windows.has(d.record.id));
    const window = store.windows.get(d.record.id);
    expect((window?.expiresAt.getTime() ?? 0) - (window?.openedAt.getTime() ?? 0)).toBe(60_000);
  });

  it('a token replaced while connected is refused at the next announcement, and the connection closed', async () => {
    const d = await device('rotated');
    const client = await connect(d.token);
    const got = await listen(client, 'v1/devices/me/claim/response');
    store.devices.set(d.record.id, { ...d.record, accessTokenHash: hashToken('dt_the-new-one') });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('v1/devices/me/claim', '{}', { qos: 1 });
    await closed;
    expect(got).toEqual([expect.objectContaining({ result: 'ERROR', code: 'unknown_access_token' })]);
    expect(store.windows.has(d.record.id)).toBe(false);
  });

  it('answers a gateway per device, creating its children', async () => {
    const gateway = await device('gateway-1');
    const client = await connect(gateway.token);
    const got = await listen(client, 'v1/gateway/claim/response');
    await client.publishAsync('v1/gateway/claim', JSON.stringify({ 'child-1': { secretKey: 's1' }, 'child-2': { secretKey: 5 } }), { qos: 1 });
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ 'child-1': { result: 'OK' }, 'child-2': { result: 'ERROR' } });
    const child = await store.findChild(gateway.record.id, 'child-1');
    expect(child !== null && store.windows.has(child.id)).toBe(true);
    await client.publishAsync('v1/gateway/claim', '[]', { qos: 1 });
    await until(() => got.length === 2);
    expect(got[1]).toMatchObject({ result: 'ERROR', code: 'invalid_input' });
  });

  it('lets devices subscribe to the response topics only, and closes a connection that publishes elsewhere', async () => {
    const d = await device('curious');
    const client = await connect(d.token);
    // mqtt.js rejects a SUBACK with any refusal, carrying the packet.
    const refused = await client.subscribeAsync(['v1/devices/me/claim', '#', 'v1/devices/me/claim/response']).catch((error: unknown) => error);
    expect((refused as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128, 128, 0]);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('v1/devices/me/telemetry', '{"t":1}', { qos: 1 });
    await closed;
  });

  it('cuts a connection whose packet announces more than the limit, before reading it', async () => {
    const socket = connectTcp(broker.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // CONNECT announcing 100 MB (remaining length 0x80 0x80 0x80 0x30).
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x30]));
    await closed;
  });
});

describe('PacketSizeMeter', () => {
  it('follows packets split anywhere and stops at the first one over the limit', () => {
    const meter = new PacketSizeMeter(200);
    // PINGREQ, a 130-byte PUBLISH (two length bytes), split inside its header and its body.
    const bytes = Buffer.concat([Buffer.from([0xc0, 0x00, 0x30, 0x82, 0x01]), Buffer.alloc(130), Buffer.from([0x30, 0xc9, 0x01])]);
    meter.push(bytes.subarray(0, 4));
    meter.push(bytes.subarray(4, 60));
    meter.push(bytes.subarray(60, 135));
    expect(() => meter.push(bytes.subarray(135))).toThrow(PacketTooLargeError);
  });
});
