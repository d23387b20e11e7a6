/**
 * Setting up a Deed for the claim benchmark: a server process, a maker (provisioner) that
 * imports the devices with `deed import -f csv` (known owner tokens), an owner with the
 * application claims land in, and a bearer-token claim client registered into it. Only 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHttpClient, freePort, spawnNode, waitForStderr, type OwnedChild } from '../join/common.js';

export const APPLICATION_ID = 'bench-claims';
export const HOME_NET_ID = '000013';
export const CLIENT_AS_ID = 'bench-tts.example.com';

/** A claimable device of the benchmark: its DevEUI and owner token. */
export interface ClaimableDevice {
  readonly devEui: string;
  readonly ownerToken: string;
}

/** `count` devices with distinct DevEUIs and owner tokens. */
export function makeClaimableDevices(count: number): ClaimableDevice[] {
  const prefix = randomBytes(2).toString('hex').toUpperCase();
  return Array.from({ length: count }, (_, i) => ({
    devEui: `${prefix}${i.toString(16).toUpperCase().padStart(12, '0')}`,
    ownerToken: randomBytes(4).toString('hex').toUpperCase(),
  }));
}

/** Where a Deed under test keeps its data. */
export interface DeedTarget {
  readonly label: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
}

/** Starts `deed serve` on a free port with `DEED_WORKERS=workers`; resolves once it listens. */
export async function startDeed(
  deedMain: string, target: DeedTarget, adminPassword: string, workers: number, nodeArgs: readonly string[],
): Promise<{ child: OwnedChild; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DEED_DATA_DIR: target.dataDir,
    DEED_HTTP_HOST: '127.0.0.1',
    DEED_HTTP_PORT: String(port),
    DEED_ADMIN_PASSWORD: adminPassword,
    DEED_LOG_LEVEL: 'warn',
    DEED_WORKERS: String(workers),
    // Only HTTP is measured; the device transports stay off (and off other runs' ports).
    DEED_MQTT_PORT: '0',
    DEED_COAP_PORT: '0',
    ...(target.databaseUrl !== null ? { DEED_DATABASE_URL: target.databaseUrl } : {}),
  };
  const child = spawnNode(`deed ${target.label}`, [...nodeArgs, deedMain, 'serve'], env, { echoStderr: false });
  await waitForStderr(child, /Deed is serving on (http:\/\/\S+)/, 30_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * Creates the maker and the owner, the owner's application, the claim client (returns its bearer
 * token), and imports `devices` as the maker through the CLI (`deed import -f csv`).
 */
export async function prepareClaims(
  deedMain: string, url: string, adminPassword: string, devices: readonly ClaimableDevice[], work: string, log: (line: string) => void,
): Promise<string> {
  const client = createHttpClient(url, 4);
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  const admin = basic('admin', adminPassword);
  const post = async (path: string, headers: Record<string, string>, body: unknown) => {
    const r = await client.request('POST', path, headers, JSON.stringify(body));
    if (r.status !== 201) throw new Error(`POST ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
  };
  const makerPassword = randomBytes(12).toString('hex');
  const ownerPassword = randomBytes(12).toString('hex');
  const token = `bench_claims_${randomBytes(24).toString('base64url')}`;
  try {
    await post('/api/v1/accounts', admin, { username: 'bench-maker', role: 'provisioner', password: makerPassword });
    await post('/api/v1/accounts', admin, { username: 'bench-owner', role: 'owner', password: ownerPassword });
    await post('/api/v1/applications', basic('bench-owner', ownerPassword), { id: APPLICATION_ID, homeNetId: HOME_NET_ID });
    await post('/api/v1/peers', admin, { asId: CLIENT_AS_ID, token, applicationId: APPLICATION_ID });
  } finally {
    client.close();
  }

  const csv = join(work, `devices-${randomBytes(4).toString('hex')}.csv`);
  writeFileSync(csv, [
    'dev_eui,join_eui,app_key,lorawan_version,claim_authentication_code',
    ...devices.map((d) => `${d.devEui},70B3D57ED0000000,${randomBytes(16).toString('hex').toUpperCase()},1.0.3,${d.ownerToken}`),
  ].join('\n'));
  const started = performance.now();
  const cli = spawnNode('deed import', [deedMain, 'import', '-f', 'csv', csv], {
    PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', XDG_CONFIG_HOME: join(work, 'no-config'),
    DEED_URL: url, DEED_USERNAME: 'bench-maker', DEED_PASSWORD: makerPassword,
  });
  const code = await cli.exited;
  if (code !== 0) throw new Error(`deed import exited with ${code}:\n${cli.stderr().slice(-4000)}`);
  const imported = JSON.parse(cli.stdout()) as { devEUI: string; ownerToken?: string; error?: string }[];
  const bad = imported.filter((row, i) => row.error !== undefined || row.ownerToken !== devices[i]?.ownerToken);
  if (imported.length !== devices.length || bad.length > 0) {
    throw new Error(`deed import: ${imported.length} rows for ${devices.length} devices, ${bad.length} not as expected, e.g. ${JSON.stringify(bad.slice(0, 3))}`);
  }
  log(`  imported ${devices.length} devices with deed import -f csv in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return token;
}

