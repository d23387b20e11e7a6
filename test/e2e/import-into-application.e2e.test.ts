import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { randomDevice, type TestDevice } from '../support/network-server.js';

/**
 * An owner who received the maker's CSV imports it straight into an application: devices the
 * maker registered are claimed with their rows' codes, new ones are created claimed, and with
 * --set-claim-code every device gets a fresh code for a later hand-over.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1' } as const;
type Who = keyof typeof PASSWORDS;
interface Row { devEUI?: string; ownerToken?: string | null; error?: string; alreadyImported?: boolean }

describe('importing straight into an application', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-files-');
  const as = (who: Who, args: string[]): DeedRun => runDeed(args, { env: { DEED_URL: server.url, DEED_USERNAME: who, DEED_PASSWORD: PASSWORDS[who] } });
  const csv = (name: string, devices: readonly TestDevice[], codes: readonly string[]): string => {
    const path = join(files.path, name);
    writeFileSync(path, ['dev_eui,join_eui,app_key,claim_authentication_code', ...devices.map((d, i) => `${d.devEui},${d.joinEui},${d.appKey},${codes[i] ?? ''}`)].join('\n'));
    return path;
  };

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner']] as const) {
      expect(runDeed(['accounts', 'add', '--username', who, '--role', role, '--password-stdin'], { url: server.url, input: PASSWORDS[who] }).code).toBe(0);
    }
    expect(as('olivia', ['applications', 'add', 'orchard', '--net-id', '000013', '--as-id', 'as-orchard']).code).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
    files.remove();
  });

  it('claims the maker\'s devices with their codes and creates the others claimed; a wrong code fails alone; a re-run imports nothing twice', () => {
    const registered = [randomDevice('1.0.3'), randomDevice('1.0.3'), randomDevice('1.0.3')];
    const fresh = [randomDevice('1.0.3'), randomDevice('1.0.3')];
    expect(as('maker', ['import', '-f', 'csv', csv('maker.csv', registered, ['CODE-A', 'CODE-B', 'CODE-C'])]).code).toBe(0);

    const file = csv('owner.csv', [...registered, ...fresh], ['CODE-A', 'WRONG', 'CODE-C', 'NEW-1', '']);
    const run = as('olivia', ['import', '-f', 'csv', file, '--application', 'orchard']);
    expect(run.code).toBe(1);
    const rows = run.json<Row[]>();
    expect(rows.map((r) => r.error ?? 'ok')).toEqual(['ok', 'claim_failed', 'ok', 'ok', 'ok']);
    // A claim spends the printed code; a new device keeps its row's code, or gets one.
    expect(rows[0]?.ownerToken).not.toBe('CODE-A');
    expect(rows[3]?.ownerToken).toBe('NEW-1');
    expect(rows[4]?.ownerToken).toMatch(/^[0-9A-F]{8}$/);

    const mine = as('olivia', ['devices']).json<{ devEUI: string; applicationId: string; homeNetId: string; asId: string }[]>();
    expect(mine.map((d) => d.devEUI).sort()).toEqual([registered[0], registered[2], ...fresh].map((d) => d?.devEui).sort());
    for (const device of mine) expect(device).toMatchObject({ applicationId: 'orchard', homeNetId: '000013', asId: 'as-orchard' });
    // The device with the wrong code is still the maker's, unclaimed.
    expect(as('maker', ['get', registered[1]?.devEui ?? '']).json<{ state: string }>().state).toBe('unclaimed');

    const again = as('olivia', ['import', '-f', 'csv', file, '--application', 'orchard']);
    const rerun = again.json<Row[]>();
    expect(rerun.filter((r) => r.alreadyImported === true)).toHaveLength(4);
  });

  it('gives every device a new code with --set-claim-code, and refuses what is not the owner\'s', () => {
    const devices = [randomDevice('1.0.3'), randomDevice('1.0.3')];
    const run = as('olivia', ['import', '-f', 'csv', csv('handover.csv', devices, ['KEEP-1', 'KEEP-2']), '--application', 'orchard', '--set-claim-code']);
    expect(run.code, run.stderr).toBe(0);
    for (const row of run.json<Row[]>()) expect(row.ownerToken).toMatch(/^[0-9A-F]{8}$/);

    expect(as('olivia', ['import', '-f', 'csv', csv('x.csv', [randomDevice('1.0.3')], ['X']), '--application', 'someone-elses']).code).toBe(1);
    expect(as('olivia', ['import', '-f', 'csv', csv('y.csv', [randomDevice('1.0.3')], ['Y'])]).code).toBe(4);
    expect(as('maker', ['import', '-f', 'csv', csv('z.csv', [randomDevice('1.0.3')], ['Z']), '--application', 'orchard']).code).toBe(4);
    expect(as('olivia', ['import', '-f', 'csv', csv('w.csv', [randomDevice('1.0.3')], ['W']), '--set-claim-code']).code).toBe(2);
  });
});
