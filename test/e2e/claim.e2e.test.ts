import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { appSKeyReq, deviceAcceptsJoin, joinReq, postBi, randomDevice, resultCode, unwrapKey, type TestDevice } from '../support/network-server.js';

/**
 * Owners claim devices from a maker's inventory through the CLI and the REST API: by code, by
 * every QR format, by a QR image Deed printed, in bulk; the device then activates only through
 * the claimant's Network Server, its AppSKey wrapped under the claimant's AS KEK; release hands
 * it on with a new code; and of concurrent claims exactly one wins.
 */

const NS_KEK = { olivia: '000102030405060708090A0B0C0D0E0F', oscar: '0F0E0D0C0B0A09080706050403020100' };
const CLAIM_KEK = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';
const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS;

interface View { devEUI: string; ownerToken?: string | null; state: string; applicationId: string | null; homeNetId: string | null; asId: string | null; locked: boolean }

describe('claiming through the CLI and the REST API', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-files-');
  const nsToken: Record<'olivia' | 'oscar', string> = { olivia: '', oscar: '' };
  let asToken = '';
  const devices: TestDevice[] = Array.from({ length: 12 }, () => randomDevice('1.0.3'));
  const tokens = new Map<string, string>();

  const as = (who: Who, args: string[], input?: string): DeedRun => runDeed(args, {
    env: { DEED_URL: server.url, DEED_USERNAME: who, DEED_PASSWORD: PASSWORDS[who] },
    ...(input !== undefined ? { input } : {}),
  });
  const ok = (run: DeedRun): DeedRun => {
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
    return run;
  };
  const device = (i: number): TestDevice => {
    const d = devices[i];
    if (d === undefined) throw new Error(`no device ${i}`);
    return d;
  };
  const token = (i: number): string => tokens.get(device(i).devEui) ?? '';

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      ok(runDeed(['accounts', 'add', '--username', who, '--role', role, '--password-stdin'], { url: server.url, input: PASSWORDS[who] }));
    }
    nsToken.olivia = ok(runDeed(['peer', 'add', '--net-id', '000013', '--kek-label', 'ns-13', '--kek', NS_KEK.olivia], { url: server.url })).json<{ token: string }>().token;
    nsToken.oscar = ok(runDeed(['peer', 'add', '--net-id', '000042', '--kek-label', 'ns-42', '--kek', NS_KEK.oscar], { url: server.url })).json<{ token: string }>().token;
    asToken = ok(runDeed(['peer', 'add', '--as-id', 'as-olivia'], { url: server.url })).json<{ token: string }>().token;
    const csv = join(files.path, 'inventory.csv');
    writeFileSync(csv, [
      'dev_eui;join_eui;app_key;lorawan_version;vendor_id;vendor_profile_id;claim_authentication_code',
      ...devices.map((d, i) => `${d.devEui};${d.joinEui};${d.appKey};MAC_V1_0_3;42FF;FF42;CODE${String(i).padStart(4, '0')}`),
    ].join('\n'));
    for (const row of ok(as('maker', ['import', '-f', 'csv', csv])).json<{ devEUI: string; ownerToken: string }[]>()) tokens.set(row.devEUI, row.ownerToken);
    ok(as('olivia', ['applications', 'add', 'greenhouse', '--net-id', '000013', '--as-id', 'as-olivia']));
    ok(as('oscar', ['applications', 'add', 'barn', '--net-id', '000042']));
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
    files.remove();
  });

  it('claims by code; the device then joins only through the claimant\'s Network Server, its AppSKey under the claim\'s KEK', async () => {
    const d = device(0);
    const claimed = ok(as('olivia', ['claim', '--join-eui', d.joinEui, '--dev-eui', d.devEui, '--owner-token', token(0),
      '--kek-label', 'olivia-as-kek', '--kek', '-'], CLAIM_KEK)).json<View>();
    expect(claimed).toMatchObject({ devEUI: d.devEui, state: 'claimed', applicationId: 'greenhouse', homeNetId: '000013', asId: 'as-olivia', locked: false });
    // The printed code is spent: the holder sees the new one.
    expect(claimed.ownerToken).toMatch(/^[0-9A-F]{8}$/);
    expect(claimed.ownerToken).not.toBe(token(0));

    const refused = await postBi(server.url, nsToken.oscar, joinReq(d, 1, { netId: '000042' }));
    expect(resultCode(refused.body)).toBe('ActivationDisallowed');
    const answer = await postBi(server.url, nsToken.olivia, joinReq(d, 2));
    expect(resultCode(answer.body), JSON.stringify(answer.body)).toBe('Success');
    const accepted = deviceAcceptsJoin(d, 2, '000013', answer.body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    const appSKey = answer.body['AppSKey'] as { KEKLabel: string; AESKey: string };
    expect(appSKey.KEKLabel).toBe('olivia-as-kek');
    expect(unwrapKey(CLAIM_KEK, appSKey.AESKey)).toBe(accepted.keys['AppSKey']);
    // The AS fetches it too, under the same KEK.
    const fetched = await postBi(server.url, asToken, appSKeyReq(d, answer.body['SessionKeyID'] as string, 'as-olivia'));
    expect(resultCode(fetched.body), JSON.stringify(fetched.body)).toBe('Success');
    expect(unwrapKey(CLAIM_KEK, (fetched.body['AppSKey'] as { AESKey: string }).AESKey)).toBe(accepted.keys['AppSKey']);

    // The maker still sees its device, claimed, without the holder's code; the owner never gets root keys.
    const makerView = ok(as('maker', ['get', d.devEui])).json<View>();
    expect(makerView.state).toBe('claimed');
    expect(makerView.ownerToken).toBeUndefined();
    const keys = as('olivia', ['get', d.devEui, '--root-keys', '--yes']);
    expect(keys.code).toBe(4);
    expect(keys.stdout).not.toContain(d.appKey);

    // Releasing serves the old session no more, and hands the device on with the code the holder set.
    const released = ok(as('olivia', ['unclaim', d.devEui, '--owner-token', 'HANDOVER-0'])).json<{ ownerToken: string }>();
    expect(released.ownerToken).toBe('HANDOVER-0');
    const stale = await postBi(server.url, asToken, appSKeyReq(d, answer.body['SessionKeyID'] as string, 'as-olivia'));
    expect(resultCode(stale.body)).not.toBe('Success');
    expect(as('oscar', ['claim', '--dev-eui', d.devEui, '--owner-token', token(0)]).code).toBe(1);
    expect(ok(as('oscar', ['claim', '--dev-eui', d.devEui, '--owner-token', 'HANDOVER-0'])).json<View>().applicationId).toBe('barn');
    expect(resultCode((await postBi(server.url, nsToken.olivia, joinReq(d, 3))).body)).toBe('ActivationDisallowed');
    expect(resultCode((await postBi(server.url, nsToken.oscar, joinReq(d, 4, { netId: '000042' }))).body)).toBe('Success');
  });

  it('claims by each QR format and by a QR image Deed printed', () => {
    const qr = (i: number) => `LW:D0:${device(i).joinEui}:${device(i).devEui}:42FFFF42:O${token(i)}`;
    expect(ok(as('olivia', ['claim', '--qr', qr(1)])).json<View>().applicationId).toBe('greenhouse');
    const draft2 = `URN:LW:DP:${device(2).joinEui}:${device(2).devEui}:42FFFF42:%V${token(2)}%SSERIAL`;
    expect(ok(as('olivia', ['claim', '--qr', draft2])).json<View>().state).toBe('claimed');
    const draft3 = `URN:DEV:LW:${device(3).joinEui}_${device(3).devEui}_42FFFF42_V${token(3)}`;
    expect(ok(as('olivia', ['claim', '--qr', draft3])).json<View>().state).toBe('claimed');
    const bare = as('olivia', ['claim', '--qr', device(4).devEui]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/carries no owner token/);

    const label = join(files.path, 'label.png');
    ok(as('maker', ['qr', device(4).devEui, '--out', label]));
    expect(ok(as('olivia', ['claim', '--qr-image', label])).json<View>().devEUI).toBe(device(4).devEui);
    const garbage = join(files.path, 'not-an-image.png');
    writeFileSync(garbage, 'not a png');
    const bad = as('olivia', ['claim', '--qr-image', garbage]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^deed: --qr-image: /);
  });

  it('claims a file in bulk with one result per row: a wrong code, a malformed row and a duplicate fail alone', () => {
    const file = join(files.path, 'codes.csv');
    writeFileSync(file, [
      'dev_eui,join_eui,claim_authentication_code',
      `${device(5).devEui},${device(5).joinEui},${token(5)}`,
      `${device(6).devEui},${device(6).joinEui},WRONGCODE`,
      `not-an-eui,${device(7).joinEui},${token(7)}`,
      `${device(8).devEui},${device(8).joinEui},${token(8)}`,
      `${device(5).devEui},${device(5).joinEui},${token(5)}`,
    ].join('\n'));
    const run = as('oscar', ['claim', '--file', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/2 of 5 rows|3 of 5 rows/);
    const results = run.json<{ index: number; ok: boolean; code?: string }[]>();
    expect(results.map((r) => [r.index, r.ok, r.code ?? null])).toEqual([
      [0, true, null], [1, false, 'claim_failed'], [2, false, 'invalid_input'], [3, true, null], [4, false, 'duplicate'],
    ]);
    const mine = ok(as('oscar', ['devices'])).json<{ devEUI: string }[]>().map((d) => d.devEUI);
    expect(mine).toEqual(expect.arrayContaining([device(5).devEui, device(8).devEui]));
    expect(mine).not.toContain(device(6).devEui);
  });

  it('lets exactly one of 50 concurrent claims with the right code win, each from another owner', async () => {
    const target = device(9);
    const auth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const admin = auth('admin', ADMIN_PASSWORD);
    const owners = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const username = `racer-${i}`;
      const password = `racer password ${i}`;
      const created = await fetch(`${server.url}/api/v1/accounts`, {
        method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({ username, role: 'owner', password }),
      });
      expect(created.status).toBe(201);
      const app = await fetch(`${server.url}/api/v1/applications`, {
        method: 'POST', headers: { authorization: auth(username, password), 'content-type': 'application/json' },
        body: JSON.stringify({ id: `racer-app-${i}`, homeNetId: '000013' }),
      });
      expect(app.status).toBe(201);
      return auth(username, password);
    }));
    const answers = await Promise.all(owners.map((authorization) => fetch(`${server.url}/api/v1/claims`, {
      method: 'POST', headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ joinEui: target.joinEui, devEui: target.devEui, ownerToken: token(9) }),
    }).then(async (r) => ({ status: r.status, body: await r.json() as { applicationId?: string } }))));
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 403 || a.status === 429)).toBe(true);
    const holder = ok(runDeed(['get', target.devEui], { url: server.url })).json<View>();
    expect(holder.applicationId).toBe(winners[0]?.body.applicationId);
    const audit = ok(runDeed(['audit', '--dev-eui', target.devEui], { url: server.url })).json<{ action: string }[]>();
    expect(audit.filter((e) => e.action === 'device.claimed')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'device.claim_failed')).toHaveLength(49);
  }, 240_000);

  it('refuses what is not the caller\'s: a provisioner cannot claim, an owner cannot release another\'s device', () => {
    const maker = as('maker', ['claim', '--dev-eui', device(10).devEui, '--owner-token', token(10)]);
    expect(maker.code).toBe(4);
    const notMine = as('oscar', ['unclaim', device(1).devEui]);
    expect(notMine.code).toBe(1);
    expect(notMine.stderr).toMatch(/Device not provisioned/);
    const usage = as('olivia', ['claim', '--qr', 'LW:D0:x', '--dev-eui', device(10).devEui]);
    expect(usage.code).toBe(2);
    expect(ok(as('olivia', ['get', device(1).devEui])).json<View>().applicationId).toBe('greenhouse');
  });
});
