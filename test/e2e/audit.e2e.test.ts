import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeed, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { randomDevice } from '../support/network-server.js';

/**
 * The audit log end to end (docs/audit.md): device changes through the real CLI are recorded
 * with their actor, `deed audit verify` accepts the chain, and an edit made directly in the
 * SQLite file is reported by seq after a restart.
 */
describe('audit log', () => {
  let server: DeedServer | undefined;
  const data = tempDir('deed-audit-');
  const deed = (args: readonly string[]) => runDeed(args, { url: server?.url ?? '' });

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('deed audit --help and deed audit verify --help describe the commands', () => {
    const help = runDeed(['audit', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('verify');
    const list = runDeed(['audit', 'list', '--help']);
    expect(list.stdout).toContain('--dev-eui');
    expect(list.stdout).toContain('--after');
    expect(list.stdout).toContain('--limit');
    expect(runDeed(['audit', 'verify', '--help']).code).toBe(0);
  });

  it('records device.created then device.removed by admin, verifies, and detects an edited row after a restart', async () => {
    const device = randomDevice('1.0.3');
    const add = deed(['device', 'add', '--dev-eui', device.devEui, '--join-eui', device.joinEui, '--app-key', device.appKey,
      '--mac-version', '1.0.3', '--home-net-id', '000013']);
    expect(add.code, add.stderr).toBe(0);
    const remove = deed(['device', 'remove', device.devEui]);
    expect(remove.code, remove.stderr).toBe(0);

    const listed = deed(['audit', '--dev-eui', device.devEui]);
    expect(listed.code, listed.stderr).toBe(0);
    const events = listed.json<{ seq: number; action: string; actor: string; devEui: string; outcome: string; details: object }[]>();
    expect(events.map((e) => [e.action, e.actor, e.devEui, e.outcome])).toEqual([
      ['device.created', 'admin', device.devEui, 'success'],
      ['device.removed', 'admin', device.devEui, 'success'],
    ]);
    expect(listed.stdout).not.toContain(device.appKey);
    expect(listed.stdout.toLowerCase()).not.toContain(device.appKey.toLowerCase());

    const verified = deed(['audit', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ ok: true, count: events[1]?.seq });

    await server?.stop();
    const edited = events[0]!.seq;
    const db = new Database(join(data.path, 'deed.db'));
    try {
      const changes = db.prepare('update audit_events set actor = ? where seq = ?').run('mallory', edited).changes;
      expect(changes).toBe(1);
    } finally {
      db.close();
    }
    server = await startDeed({ dataDir: data.path });

    const broken = deed(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`seq ${edited}`);
    expect(broken.json()).toMatchObject({ ok: false, firstBadSeq: edited });
  });
});
