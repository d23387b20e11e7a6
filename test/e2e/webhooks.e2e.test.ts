import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/events/webhook-signature.js';
import { runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { freePort } from '../support/free-port.js';
import { randomDevice, type TestDevice } from '../support/network-server.js';

/**
 * Webhooks end to end: accounts register them through the CLI and the API; claims and
 * owner-token changes reach the right account's endpoint, signed; a receiver that answers 500
 * gets the event again; and an event committed before a crash is delivered after the restart,
 * exactly once.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS;
const FAST = { DEED_WEBHOOK_POLL_INTERVAL: '100', DEED_WEBHOOK_RETRY_BASE: '300', DEED_WEBHOOK_RETRY_MAX: '600' };

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** An HTTP endpoint in the test process that records every request and answers `status(n)` to the n-th (1, 2, …). */
class Receiver {
  readonly requests: Received[] = [];
  #server: Server | undefined;
  status: (n: number) => number = () => 200;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/deed-events`;
  }

  async listen(): Promise<this> {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        response.statusCode = this.status(this.requests.length);
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  ofType(type: string): Received[] {
    return this.requests.filter((r) => r.headers['deed-event-type'] === type);
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectSigned(request: Received, secret: string): void {
  const signature = request.headers['deed-signature'];
  expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  expect(verifyWebhookSignature(secret, signature as string, request.body, { nowSeconds: Math.floor(request.at / 1000) })).toBe(true);
  expect(verifyWebhookSignature(`${secret}x`, signature as string, request.body, { nowSeconds: Math.floor(request.at / 1000) })).toBe(false);
}

function countById(receiver: Receiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { headers } of receiver.requests) {
    const id = String(headers['deed-event-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('webhooks', () => {
  let server: DeedServer;
  const data = tempDir();
  const files = tempDir('deed-files-');
  const receivers: Receiver[] = [];
  const devices: TestDevice[] = Array.from({ length: 3 }, () => randomDevice('1.0.3'));
  const tokens = new Map<string, string>();

  const as = (who: Who, args: string[]): DeedRun => runDeed(args, { env: { DEED_URL: server.url, DEED_USERNAME: who, DEED_PASSWORD: PASSWORDS[who] } });
  const ok = (run: DeedRun): DeedRun => {
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
    return run;
  };
  const api = async (who: Who | 'admin', method: string, path: string, body?: unknown, target = server) => {
    const password = who === 'admin' ? 'test-admin-password-1' : PASSWORDS[who];
    const response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${who}:${password}`).toString('base64')}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> };
  };
  const receiver = async (): Promise<Receiver> => {
    const r = new Receiver(await freePort());
    receivers.push(r);
    return r;
  };
  const importDevices = (who: Who, list: readonly TestDevice[], dir = files.path): void => {
    const csv = join(dir, `${who}-${list[0]?.devEui}.csv`);
    writeFileSync(csv, `dev_eui,join_eui,app_key\n${list.map((d) => `${d.devEui},${d.joinEui},${d.appKey}`).join('\n')}\n`);
    for (const row of ok(as(who, ['import', '-f', 'csv', csv])).json<{ devEUI: string; ownerToken: string }[]>()) tokens.set(row.devEUI, row.ownerToken);
  };

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path, env: FAST });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      ok(runDeed(['accounts', 'add', '--username', who, '--role', role, '--password-stdin'], { url: server.url, input: PASSWORDS[who] }));
    }
    importDevices('maker', devices);
    ok(as('olivia', ['applications', 'add', 'greenhouse']));
  });
  afterAll(async () => {
    await server.stop();
    for (const r of receivers) await r.close();
    data.remove();
    files.remove();
  });

  it('delivers a claim to the owner\'s webhook only, signed, again after a 500, and token changes to whoever holds the device', async () => {
    const olivia = await (await receiver()).listen();
    const oscar = await (await receiver()).listen();
    const maker = await (await receiver()).listen();
    olivia.status = (n) => (n === 1 ? 500 : 200);

    const added = ok(as('olivia', ['webhooks', 'add', '--url', olivia.url, '--event', 'device.claimed', 'device.token_changed']))
      .json<{ id: string; url: string; events: string[]; secret: string }>();
    expect(added).toMatchObject({ url: olivia.url, events: ['device.claimed', 'device.token_changed'] });
    expect(added.secret).toMatch(/^whsec_/);
    const oscarHook = await api('oscar', 'POST', '/api/v1/webhooks', { url: oscar.url });
    expect(oscarHook.status).toBe(201);
    const makerHook = await api('maker', 'POST', '/api/v1/webhooks', { url: maker.url, events: ['device.token_changed'] });
    expect(makerHook.status).toBe(201);

    const d = devices[0]!;
    ok(as('olivia', ['claim', '--join-eui', d.joinEui, '--dev-eui', d.devEui, '--owner-token', tokens.get(d.devEui) ?? '']));
    await waitFor('the claim to be delivered twice (500, then 200)', () => olivia.requests.length >= 2);
    const [failed, delivered] = olivia.requests as [Received, Received];
    expect(failed.body).toBe(delivered.body);
    expect(failed.headers['deed-event-id']).toBe(delivered.headers['deed-event-id']);
    expect([failed.headers['deed-delivery-attempt'], delivered.headers['deed-delivery-attempt']]).toEqual(['1', '2']);
    expect(delivered.at - failed.at).toBeGreaterThanOrEqual(250);
    for (const r of [failed, delivered]) {
      expectSigned(r, added.secret);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['deed-event-type']).toBe('device.claimed');
    }
    const body = JSON.parse(delivered.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id: delivered.headers['deed-event-id'], type: 'device.claimed', devEui: d.devEui, applicationId: 'greenhouse' });
    expect(new Date(body['at'] as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(body).sort()).toEqual(['applicationId', 'at', 'data', 'devEui', 'id', 'type']);

    // The holder regenerates the owner token: the event goes to the holder, without the token.
    const changed = await api('olivia', 'PUT', `/api/v1/devices/${d.devEui}/owner-token`, { regenerate: true });
    expect(changed.status).toBe(200);
    await waitFor('the token change', () => olivia.ofType('device.token_changed').length === 1);
    const tokenChange = olivia.ofType('device.token_changed')[0]!;
    expectSigned(tokenChange, added.secret);
    expect(JSON.parse(tokenChange.body)).toMatchObject({ type: 'device.token_changed', devEui: d.devEui, applicationId: 'greenhouse', data: { change: 'regenerated' } });
    expect(tokenChange.body).not.toContain(String(changed.body?.['ownerToken']));

    // The maker's unclaimed device: its token change goes to the maker.
    const mine = devices[1]!;
    expect((await api('maker', 'PUT', `/api/v1/devices/${mine.devEui}/owner-token`, { ownerToken: 'NEWCODE1' })).status).toBe(200);
    await waitFor('the maker\'s token change', () => maker.requests.length === 1);
    expectSigned(maker.requests[0]!, makerHook.body?.['secret'] as string);
    expect(JSON.parse(maker.requests[0]!.body)).toMatchObject({ type: 'device.token_changed', devEui: mine.devEui, applicationId: null, data: { change: 'set' } });
    expect(maker.requests[0]!.body).not.toContain('NEWCODE1');

    await sleep(1_000);
    expect(oscar.requests).toEqual([]);
    expect(maker.requests).toHaveLength(1);
    expect(olivia.requests).toHaveLength(3);
  });

  it('lists and removes webhooks per account; an admin sees all; secrets are never listed', async () => {
    const listed = ok(as('olivia', ['webhooks', 'list'])).json<{ id: string; owner: string }[]>();
    expect(listed.map((w) => w.owner)).toEqual(['olivia']);
    const all = await api('admin', 'GET', '/api/v1/webhooks');
    expect((all.body as unknown as { owner: string }[]).map((w) => w.owner).sort()).toEqual(['maker', 'olivia', 'oscar']);
    expect(JSON.stringify(all.body)).not.toContain('whsec_');
    const [hook] = listed;
    expect(as('oscar', ['webhooks', 'remove', hook!.id]).code).toBe(1);
    expect((await api('oscar', 'POST', '/api/v1/webhooks', { url: 'ftp://example.com/x' })).status).toBe(400);
    expect((await api('oscar', 'POST', '/api/v1/webhooks', { url: 'https://u:p@example.com/x' })).status).toBe(400);
    ok(as('olivia', ['webhooks', 'remove', hook!.id]));
    expect(ok(as('olivia', ['webhooks', 'list'])).json<unknown[]>()).toEqual([]);
  });

  it('delivers an event committed before a crash once, after the restart', async () => {
    const crashData = tempDir();
    const hook = await receiver(); // not listening yet: deliveries fail
    let deed = await startDeed({ dataDir: crashData.path, env: { DEED_WEBHOOK_POLL_INTERVAL: '60000' } });
    try {
      ok(runDeed(['accounts', 'add', '--username', 'maker', '--role', 'provisioner', '--password-stdin'], { url: deed.url, input: PASSWORDS.maker }));
      const mine = [randomDevice('1.0.3'), randomDevice('1.0.3')];
      const makerRun = (args: string[]) => runDeed(args, { env: { DEED_URL: deed.url, DEED_USERNAME: 'maker', DEED_PASSWORD: PASSWORDS.maker } });
      const csv = join(crashData.path, 'devices.csv');
      writeFileSync(csv, `dev_eui,join_eui,app_key\n${mine.map((d) => `${d.devEui},${d.joinEui},${d.appKey}`).join('\n')}\n`);
      ok(makerRun(['import', '-f', 'csv', csv]));
      const created = await api('maker', 'POST', '/api/v1/webhooks', { url: hook.url }, deed);
      expect(created.status).toBe(201);
      const secret = created.body?.['secret'] as string;

      // 1. Committed while the dispatcher sleeps (a long poll interval), then SIGKILL: not even routed yet.
      expect((await api('maker', 'PUT', `/api/v1/devices/${mine[0]!.devEui}/owner-token`, { regenerate: true }, deed)).status).toBe(200);
      await deed.kill();

      // 2. Committed while the receiver is down: routed, attempted, failed (and retried), then SIGKILL.
      deed = await startDeed({ dataDir: crashData.path, env: FAST });
      expect((await api('maker', 'PUT', `/api/v1/devices/${mine[1]!.devEui}/owner-token`, { regenerate: true }, deed)).status).toBe(200);
      await waitFor('failed attempts to be logged', () => deed.output().includes('webhook delivery failed'));
      await sleep(500);
      await deed.kill();
      expect(hook.requests).toEqual([]);

      // The receiver comes up; the restarted server delivers both events, each once.
      await hook.listen();
      deed = await startDeed({ dataDir: crashData.path, env: FAST });
      await waitFor('both events', () => countById(hook).size === 2);
      await sleep(3_000);
      const counts = countById(hook);
      expect([...counts.values()]).toEqual([1, 1]);
      expect(hook.requests.map((r) => JSON.parse(r.body).devEui).sort()).toEqual(mine.map((d) => d.devEui).sort());
      for (const request of hook.requests) expectSigned(request, secret);
    } finally {
      await deed.stop();
      crashData.remove();
    }
  });
});
