import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { randomDevice } from '../support/network-server.js';

/**
 * Tenants: a provisioner sees and manages only its own inventory; an owner sees only devices
 * claimed into its applications, never unclaimed inventory. Another tenant's device answers
 * exactly like an unknown DevEUI, through the CLI and the API alike.
 */

interface View { devEUI: string; ownerToken?: string; rootKeysExposed: boolean }

const ACCOUNTS = {
  acme: { password: 'acme password 1', role: 'provisioner' },
  globex: { password: 'globex password 1', role: 'provisioner' },
  olivia: { password: 'olivia password 1', role: 'owner' },
} as const;
type Name = keyof typeof ACCOUNTS;

describe('tenant isolation', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-files-');
  const acmeDevice = randomDevice('1.0.3');
  const globexDevice = randomDevice('1.0.3');
  let acmeToken = '';

  const as = (name: Name, args: string[], input?: string): DeedRun => runDeed(args, {
    env: { DEED_URL: server.url, DEED_USERNAME: name, DEED_PASSWORD: ACCOUNTS[name].password },
    ...(input !== undefined ? { input } : {}),
  });
  const api = (name: Name, method: string, path: string, body?: unknown) => fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${name}:${ACCOUNTS[name].password}`).toString('base64')}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const importOne = (name: Name, device: typeof acmeDevice): View => {
    const csv = join(files.path, `${name}.csv`);
    writeFileSync(csv, `dev_eui,join_eui,app_key\n${device.devEui},${device.joinEui},${device.appKey}\n`);
    const run = as(name, ['import', '-f', 'csv', csv]);
    expect(run.code, run.stderr).toBe(0);
    const [view] = run.json<View[]>();
    if (view === undefined) throw new Error('nothing imported');
    return view;
  };

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    for (const [name, account] of Object.entries(ACCOUNTS)) {
      const add = runDeed(['accounts', 'add', '--username', name, '--role', account.role, '--password-stdin'], { url: server.url, input: account.password });
      expect(add.code, add.stderr).toBe(0);
    }
    acmeToken = importOne('acme', acmeDevice).ownerToken ?? '';
    importOne('globex', globexDevice);
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
    files.remove();
  });

  it('lists only the maker\'s own inventory; an admin sees all', () => {
    expect(as('acme', ['list']).json<View[]>().map((d) => d.devEUI)).toEqual([acmeDevice.devEui]);
    expect(as('globex', ['list']).json<View[]>().map((d) => d.devEUI)).toEqual([globexDevice.devEui]);
    const all = runDeed(['list'], { url: server.url }).json<View[]>().map((d) => d.devEUI);
    expect(all.sort()).toEqual([acmeDevice.devEui, globexDevice.devEui].sort());
  });

  it('answers another maker\'s device like an unknown one: get, export, token, update, remove', () => {
    const unknown = randomDevice('1.0.3').devEui;
    const probes: string[][] = [
      ['get', '{}'], ['get', '{}', '--nonces', '--root-keys', '--yes'], ['token', '{}'], ['token', '{}', '--regenerate'],
      ['token', '{}', '--set', 'STOLEN01'], ['device', 'update', '{}', '--home-net-id', '000013'], ['device', 'remove', '{}'],
    ];
    for (const probe of probes) {
      const theirs = as('globex', probe.map((a) => (a === '{}' ? acmeDevice.devEui : a)));
      const nobody = as('globex', probe.map((a) => (a === '{}' ? unknown : a)));
      expect(theirs.code, `${probe.join(' ')}: ${theirs.stderr}`).toBe(1);
      expect(theirs.stderr.replace(acmeDevice.devEui, 'X')).toBe(nobody.stderr.replace(unknown, 'X'));
      expect(theirs.stdout).toBe('');
    }
    // Nothing changed for the real maker.
    const mine = as('acme', ['get', acmeDevice.devEui]).json<View>();
    expect(mine).toMatchObject({ ownerToken: acmeToken, rootKeysExposed: false });
  });

  it('does the same through the API, and an import of the other maker\'s DevEUI is a duplicate that reveals nothing', async () => {
    for (const [method, path, body] of [
      ['GET', `/api/v1/devices/${acmeDevice.devEui}`],
      ['POST', `/api/v1/devices/${acmeDevice.devEui}/root-keys`],
      ['PUT', `/api/v1/devices/${acmeDevice.devEui}/owner-token`, { regenerate: true }],
      ['PATCH', `/api/v1/devices/${acmeDevice.devEui}`, { name: 'mine now' }],
      ['DELETE', `/api/v1/devices/${acmeDevice.devEui}`],
    ] as const) {
      const response = await api('globex', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.text()).not.toContain(acmeToken);
    }
    const csv = join(files.path, 'steal.csv');
    writeFileSync(csv, `dev_eui,join_eui,app_key\n${acmeDevice.devEui},${acmeDevice.joinEui},${acmeDevice.appKey}\n`);
    const steal = as('globex', ['import', '-f', 'csv', csv]);
    expect(steal.code).toBe(1);
    expect(steal.json()).toEqual([{ index: 0, devEUI: acmeDevice.devEui, error: 'duplicate', message: expect.any(String) }]);
    expect(steal.stdout).not.toContain(acmeToken);
    expect(as('acme', ['get', acmeDevice.devEui]).json<View>().ownerToken).toBe(acmeToken);
  });

  it('shows an owner none of the unclaimed inventory, and refuses it imports and exports', async () => {
    expect(as('olivia', ['list']).json()).toEqual([]);
    const get = as('olivia', ['get', acmeDevice.devEui]);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/no device with DevEUI/);
    expect((await api('olivia', 'POST', `/api/v1/devices/${acmeDevice.devEui}/root-keys`)).status).toBe(403);
    const csv = join(files.path, 'owner.csv');
    writeFileSync(csv, `dev_eui,join_eui,app_key\n${randomDevice('1.0.3').devEui},70B3D57ED0000000,000102030405060708090A0B0C0D0E0F\n`);
    expect(as('olivia', ['import', '-f', 'csv', csv]).code).toBe(4);
  });

  it('shows a device\'s audit trail to its maker only (the whole log stays admin-only)', () => {
    const mine = as('acme', ['audit', '--dev-eui', acmeDevice.devEui]);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.json<{ action: string; actor: string }[]>().map((e) => `${e.action} by ${e.actor}`)).toContain('device.import by acme');
    const theirs = as('globex', ['audit', '--dev-eui', acmeDevice.devEui]);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toMatch(/no device with DevEUI/);
    expect(as('acme', ['audit']).code).toBe(4);
  });

  it('keeps API keys within their scope: a read-only key of the maker cannot export', async () => {
    const key = as('acme', ['api-keys', 'create', '--name', 'reader', '--scope', 'devices:read']);
    expect(key.code, key.stderr).toBe(0);
    const secret = key.json<{ key: string }>().key;
    const read = await fetch(`${server.url}/api/v1/devices/${acmeDevice.devEui}`, { headers: { authorization: `Bearer ${secret}` } });
    expect(read.status).toBe(200);
    const exported = await fetch(`${server.url}/api/v1/devices/${acmeDevice.devEui}/root-keys`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    expect(exported.status).toBe(403);
    expect(as('acme', ['get', acmeDevice.devEui]).json<View>().rootKeysExposed).toBe(false);
  });
});
