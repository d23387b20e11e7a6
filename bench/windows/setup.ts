/**
 * Setting up a Deed for the window benchmark: a `deed serve` with its MQTT broker on a free
 * port (optionally sharing state through Redis), a maker that creates the IP devices through
 * `POST /api/v1/ip-devices/bulk` (5,000 per request), and an owner with an application and an
 * API key for claims.
 * Only 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { createHttpClient, freePort, spawnNode, waitForStderr, type OwnedChild } from '../join/common.js';

/** A device of the benchmark: its name, access token and the secret of its window. */
export interface BenchDevice {
  readonly name: string;
  readonly accessToken: string;
  readonly secretKey: string;
}

export interface WindowTarget {
  readonly label: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly redisUrl: string | null;
}

/** Starts `deed serve` with MQTT on a free port; resolves once it listens. */
export async function startDeedWithMqtt(
  deedMain: string, target: WindowTarget, adminPassword: string, nodeArgs: readonly string[],
): Promise<{ child: OwnedChild; url: string; mqttPort: number }> {
  const port = await freePort();
  const mqttPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DEED_DATA_DIR: target.dataDir,
    DEED_HTTP_HOST: '127.0.0.1',
    DEED_HTTP_PORT: String(port),
    DEED_MQTT_PORT: String(mqttPort),
    DEED_COAP_PORT: '0',
    DEED_ADMIN_PASSWORD: adminPassword,
    DEED_LOG_LEVEL: 'warn',
    // Windows outlive the benchmark comfortably.
    DEED_CLAIM_MAX_DURATION_MS: '3600000',
    ...(target.databaseUrl !== null ? { DEED_DATABASE_URL: target.databaseUrl } : {}),
    ...(target.redisUrl !== null ? { DEED_REDIS_URL: target.redisUrl } : {}),
  };
  const child = spawnNode(`deed ${target.label}`, [...nodeArgs, deedMain, 'serve'], env, { echoStderr: false });
  await waitForStderr(child, /Deed is serving on (http:\/\/\S+)/, 30_000);
  return { child, url: `http://127.0.0.1:${port}`, mqttPort };
}

/**
 * Creates the maker and the owner, the owner's API key (claims:write; cheaper per request than
 * a password), and `count` IP devices as the maker in bulk. Returns the devices and the key.
 */
export async function prepareDevices(
  url: string, adminPassword: string, count: number, log: (line: string) => void,
): Promise<{ devices: BenchDevice[]; ownerKey: string }> {
  const client = createHttpClient(url, 2);
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  const post = async (path: string, headers: Record<string, string>, body: unknown): Promise<unknown> => {
    const r = await client.request('POST', path, headers, JSON.stringify(body), 300_000);
    if (r.status !== 201 && r.status !== 200) throw new Error(`POST ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
    return JSON.parse(r.text) as unknown;
  };
  const makerPassword = randomBytes(12).toString('hex');
  const ownerPassword = randomBytes(12).toString('hex');
  const admin = basic('admin', adminPassword);
  try {
    await post('/api/v1/accounts', admin, { username: 'bench-maker', role: 'provisioner', password: makerPassword });
    await post('/api/v1/accounts', admin, { username: 'bench-owner', role: 'owner', password: ownerPassword });
    // The application claims land in, made up front: otherwise the first claims create it.
    await post('/api/v1/applications', basic('bench-owner', ownerPassword), { id: 'bench-windows' });
    const { key } = await post('/api/v1/me/api-keys', basic('bench-owner', ownerPassword), { name: 'bench windows', scopes: ['claims:write'] }) as { key: string };

    const prefix = randomBytes(3).toString('hex');
    const names = Array.from({ length: count }, (_, i) => `bench-${prefix}-${String(i).padStart(6, '0')}`);
    const devices: BenchDevice[] = [];
    const started = performance.now();
    for (let from = 0; from < count; from += 5000) {
      const rows = names.slice(from, from + 5000).map((name) => ({ name }));
      const { results } = await post('/api/v1/ip-devices/bulk', basic('bench-maker', makerPassword), { rows }) as {
        results: { ok: boolean; device?: { name: string; accessToken?: string }; message?: string }[];
      };
      for (const [i, result] of results.entries()) {
        if (!result.ok || result.device?.accessToken === undefined) throw new Error(`bulk row ${from + i}: ${result.message ?? 'no access token'}`);
        devices.push({ name: result.device.name, accessToken: result.device.accessToken, secretKey: randomBytes(6).toString('hex') });
      }
    }
    log(`  created ${count} IP devices in bulk (5,000 per request) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { devices, ownerKey: key };
  } finally {
    client.close();
  }
}
