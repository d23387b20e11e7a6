import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { joinReq, postBi, randomDevice, resultCode } from '../support/network-server.js';
import { MICROCHIP_FIXTURES } from '../support/shared-fixtures.js';
import { runOnTerminal } from '../support/terminal.js';

/**
 * The device maker's guide of issue 3, word for word, as a person runs it: `deed init` at a
 * terminal answering its prompts, then `list`, `import` of the real Microchip manifest, `get`
 * with --nonces and --root-keys (confirming the export at the terminal), `list` again.
 */

const FIXTURE_DEV_EUI = '0004A310001FF9DA';
const MAKER = { username: 'maker', password: 'maker password 1' };
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

interface GuideDevice {
  devEUI: string;
  ownerToken?: string | null;
  rootKeysExposed: boolean;
  nonces?: { nextJoinNonce: number; usedDevNonces: number[]; lastDevNonce: number | null };
  rootKeys?: { appKey: string | null; nwkKey: string | null };
}

describe('the device maker guide (deed init, list, import, get --nonces --root-keys)', () => {
  let server: DeedServer;
  const data = tempDir();
  const home = tempDir('deed-home-');
  const files = tempDir('deed-files-');
  /** The maker's environment: only the file `deed init` saves says where and as whom. */
  const env = () => ({ XDG_CONFIG_HOME: home.path });
  const deed = (args: string[], input?: string) => runDeed(args, { env: env(), ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    expect(spawnSync('script', ['--version']).status, 'util-linux "script" makes the pseudo-terminal').toBe(0);
    server = await startDeed({ dataDir: data.path });
    const add = runDeed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'], {
      url: server.url, input: `${MAKER.password}\n`,
    });
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of [data, home, files]) dir.remove();
  });

  it('runs the guide at a terminal', async () => {
    const init = await runOnTerminal(['init'], env(), [
      ['Server URL', `${server.url}\r`],
      ['Provisioner username', `${MAKER.username}\r`],
      ['Provisioner password', `${MAKER.password}\r`],
      ['Configuration file', '\r'],
      ['Save configuration', '\r'],
    ]);
    expect(init.code, init.screen).toBe(0);
    expect(init.screen).not.toContain(MAKER.password);
    const saved = join(home.path, 'deed', 'config.yaml');
    expect(statSync(saved).mode & 0o777).toBe(0o600);

    const empty = deed(['list']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.json()).toEqual([]);

    const manifest = join(MICROCHIP_FIXTURES, 'tnglora-b-valid.json');
    const imported = deed(['import', '-f', 'microchip-atecc608', manifest]);
    expect(imported.code, imported.stderr).toBe(0);
    const rows = imported.json<GuideDevice[]>();
    expect(rows).toEqual([{ devEUI: FIXTURE_DEV_EUI, ownerToken: expect.stringMatching(/^[0-9A-F]{8}$/), rootKeysExposed: false }]);
    // Progress and the summary go to stderr only.
    expect(imported.stderr).toMatch(/imported 1, already there 0, failed 0/);
    const ownerToken = rows[0]?.ownerToken;

    const get = await runOnTerminal(['get', FIXTURE_DEV_EUI, '--nonces', '--root-keys'], env(), [
      ['Export the root keys', 'y\r'],
    ]);
    expect(get.code, get.screen).toBe(0);
    expect(get.screen).toMatch(/rootKeysExposed" permanently/);
    const shown = JSON.parse(/\{[\s\S]*\}/.exec(get.screen.replace(/\r/g, ''))?.[0] ?? '{}') as GuideDevice;
    expect(shown).toMatchObject({
      devEUI: FIXTURE_DEV_EUI, ownerToken, rootKeysExposed: true,
      nonces: { nextJoinNonce: 1, usedDevNonces: [] },
      // A TNGLORA manifest carries no root keys: they come in a vendor key batch (deed keys import-vendor).
      rootKeys: { appKey: null, nwkKey: null },
    });

    const again = deed(['list']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<GuideDevice[]>()).toEqual([expect.objectContaining({ devEUI: FIXTURE_DEV_EUI, ownerToken, rootKeysExposed: true })]);

    const audit = runDeed(['audit', '--dev-eui', FIXTURE_DEV_EUI], { url: server.url });
    expect(audit.code, audit.stderr).toBe(0);
    const actions = audit.json<{ action: string; actor: string }[]>().map((e) => `${e.action} by ${e.actor}`);
    expect(actions).toEqual(['device.import by maker', 'device.keys_exported by maker']);
  }, 60_000);

  it('shows the nonces and the root keys of a device that joined, and keeps the keys of a refused export in custody', async () => {
    const device = randomDevice('1.0.2');
    const csv = join(files.path, 'devices.csv');
    writeFileSync(csv, `dev_eui;app_eui;app_key;lorawan_version;name\n${device.devEui};${device.joinEui};${device.appKey};MAC_V1_0_2;sensor-1\n`);
    expect(deed(['import', '-f', 'csv', csv]).code).toBe(0);
    expect(deed(['device', 'update', device.devEui, '--home-net-id', '000013']).code).toBe(0);
    const peer = runDeed(['peer', 'add', '--net-id', '000013', '--kek-label', 'ns-kek', '--kek', '000102030405060708090A0B0C0D0E0F'], { url: server.url });
    expect(peer.code, peer.stderr).toBe(0);
    const nsToken = peer.json<{ token: string }>().token;
    for (const devNonce of [1836, 10331]) {
      const answer = await postBi(server.url, nsToken, joinReq(device, devNonce));
      expect(resultCode(answer.body), JSON.stringify(answer.body)).toBe('Success');
    }

    // "n" at the terminal: nothing is exported, nothing is marked.
    const refused = await runOnTerminal(['get', device.devEui, '--root-keys'], env(), [['Export the root keys', 'n\r']]);
    expect(refused.code).toBe(2);
    expect(refused.screen).not.toContain(device.appKey);
    expect(deed(['get', device.devEui]).json<GuideDevice>().rootKeysExposed).toBe(false);

    // Without a terminal the warning goes to stderr and --yes is not needed.
    const exported = deed(['get', device.devEui, '--nonces', '--root-keys']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/^Warning: Exporting the root keys/m);
    expect(exported.json<GuideDevice>()).toMatchObject({
      devEUI: device.devEui, rootKeysExposed: true,
      nonces: { nextJoinNonce: 3, usedDevNonces: [1836, 10331], lastDevNonce: 10331 },
      rootKeys: { appKey: device.appKey, nwkKey: null },
    });
    // The keys are in the answer that asked for them only, never in the server's log.
    expect(server.output()).not.toContain(device.appKey);
    expect(readFileSync(join(home.path, 'deed', 'config.yaml'), 'utf8')).toContain(MAKER.username);
  }, 60_000);

  it('answers bad imports with one line naming the problem, and no stack trace', () => {
    const garbage = join(files.path, 'garbage.json');
    writeFileSync(garbage, '\u0000\u0001 this is not a manifest');
    const bad = deed(['import', '-f', 'microchip-atecc608', garbage]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^deed: /m);
    expect(bad.stderr).not.toMatch(STACK_TRACE);

    const missing = deed(['import', '-f', 'csv', join(files.path, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);

    const format = deed(['import', '-f', 'xml', garbage]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/expected one of microchip-atecc608, csv, json/);
  });
});
