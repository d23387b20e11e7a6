import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { Agent, request, type IncomingMessage } from 'coap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, runDeedAsync, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { postgresRequired } from '../support/postgres.js';

/**
 * ThingsBoard-compatible device claiming over CoAP against a real `deed serve`: devices (Debian's
 * libcoap `coap-client` and the `coap` npm client) POST `/api/v1/{accessToken}/claim` over UDP
 * and read the answer — 2.01 Created `{"result":"OK","expiresAt"}`, or a 4.xx code with
 * `{"result":"ERROR","code","message"}` — and an owner then claims over HTTP.
 */

const PASSWORDS = { maker: 'maker password 1', olivia: 'olivia password 1', oscar: 'oscar password 1' } as const;
type Who = keyof typeof PASSWORDS | 'admin';
const authorization = (who: Who): string =>
  `Basic ${Buffer.from(`${who}:${who === 'admin' ? ADMIN_PASSWORD : PASSWORDS[who]}`).toString('base64')}`;

/** libcoap's client: `coap-client` where an alternative provides it, else Debian's builds. */
const COAP_CLIENT = ['coap-client', 'coap-client-notls', 'coap-client-openssl', 'coap-client-gnutls']
  .find((name) => spawnSync(name, ['-h']).error === undefined);

interface Answer { status: number; text: string; json: unknown }
interface CoapAnswer { code: string; json: Record<string, unknown> | undefined; text: string }

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

function parsed(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** The `coap` npm client's endpoint for this file's requests. */
let agent: Agent | undefined;

/** One confirmable request with the `coap` npm client; `block1` sends the payload in 1024-byte blocks (RFC 7959). */
function coapRequest(port: number, path: string, options: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; payload?: string | Buffer; block1?: boolean } = {}): Promise<CoapAnswer> {
  const endpoint = agent ?? new Agent({ type: 'udp4' });
  agent = endpoint;
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, pathname: path, method: options.method ?? 'POST', agent: endpoint, retrySend: 2 });
    req.setOption('Content-Format', 'application/json');
    if (options.block1 === true) req.setOption('Block1', Buffer.of(0x06));
    const timer = setTimeout(() => reject(new Error(`no CoAP answer to ${path} within 10 s`)), 10_000);
    req.on('response', (response: IncomingMessage) => {
      clearTimeout(timer);
      const text = response.payload.toString('utf8');
      resolve({ code: response.code, text, json: parsed(text) });
    });
    req.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(options.payload);
  });
}

/**
 * One request with libcoap's `coap-client` (verbose, so the response code is printed even for
 * 2.xx); the payload from a file argument (`-f -` reads standard input).
 */
function coapClient(port: number, path: string, options: { method?: string; payload?: string } = {}): Promise<CoapAnswer> {
  return new Promise((resolve, reject) => {
    const args = ['-v', '6', '-B', '10', '-m', options.method ?? 'post', ...(options.payload !== undefined ? ['-f', '-'] : []), `coap://127.0.0.1:${port}${path}`];
    const child = spawn(COAP_CLIENT ?? 'coap-client', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString('latin1'); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString('latin1'); });
    child.on('error', reject);
    child.on('close', () => {
      // The server's answer: "v:1 t:ACK c:2.01 i:… {…} [ … ] :: '{…}'" (a response code, not a method).
      const lines = output.split('\n').filter((line) => /\bc:\d\.\d\d\b/.test(line));
      const last = lines.at(-1);
      if (last === undefined) {
        reject(new Error(`coap-client printed no response:\n${output}`));
        return;
      }
      const code = /\bc:(\d\.\d\d)\b/.exec(last)?.[1] ?? '';
      // Bytes outside printable ASCII are shown as \xHH.
      const shown = /:: '(.*)'\s*$/.exec(last)?.[1] ?? '';
      const text = Buffer.from(shown.replace(/\\x([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
      resolve({ code, text, json: parsed(text) });
    });
    // Without -f - the client never reads its standard input and may exit before it is closed:
    // EPIPE here is not a failure (the answer is judged from its output above).
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.payload ?? '');
  });
}

const claimPath = (token: string): string => `/api/v1/${token}/claim`;

describe('device-opened claim windows over CoAP', () => {
  let server: DeedServer;
  let port = 0;
  const data = tempDir();

  const claim = (who: Who, name: string, secretKey: string): Promise<Answer> =>
    call(`${server.url}/api/customer/device/${encodeURIComponent(name)}/claim`, 'POST', who, { secretKey });
  const expectSuccess = (answer: Answer, name: string): void => {
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ response: 'SUCCESS', device: { name, state: 'claimed' } });
  };
  const expectFailure = (answer: Answer): void => {
    expect(answer.status, answer.text).toBe(400);
    expect(answer.text).toBe('"FAILURE"');
  };
  const expectOk = (answer: CoapAnswer, durationMs: number): void => {
    expect(answer.code, answer.text).toBe('2.01');
    expect(answer.json?.['result']).toBe('OK');
    const left = Date.parse(String(answer.json?.['expiresAt'])) - Date.now();
    expect(left).toBeGreaterThan(durationMs - 10_000);
    expect(left).toBeLessThanOrEqual(durationMs + 1_000);
  };
  const expectError = (answer: CoapAnswer, code: string, errorCode: string): void => {
    expect(answer.code, answer.text).toBe(code);
    expect(answer.json).toMatchObject({ result: 'ERROR', code: errorCode });
    expect(String(answer.json?.['message'])).not.toBe('');
  };
  /** The maker creates devices with `deed device add --name`; their access tokens. */
  const addDevices = async (...names: string[]): Promise<string[]> => {
    const runs = await Promise.all(names.map((name) => runDeedAsync(['device', 'add', '--name', name], {
      env: { DEED_URL: server.url, DEED_USERNAME: 'maker', DEED_PASSWORD: PASSWORDS.maker },
    })));
    return runs.map((run, i) => {
      expect(run.code, `${names[i]}: ${run.stderr}`).toBe(0);
      return run.json<{ accessToken: string }>().accessToken;
    });
  };

  beforeAll(async () => {
    port = await freeUdpPort();
    server = await startDeed({ dataDir: data.path, env: { DEED_COAP_PORT: String(port), DEED_CLAIM_DEFAULT_DURATION_MS: '120000', DEED_LOG_LEVEL: 'warn' } });
    for (const [who, role] of [['maker', 'provisioner'], ['olivia', 'owner'], ['oscar', 'owner']] as const) {
      const created = await call(`${server.url}/api/v1/accounts`, 'POST', 'admin', { username: who, role, password: PASSWORDS[who] });
      expect(created.status, created.text).toBe(201);
    }
  });
  afterAll(async () => {
    agent?.close();
    await server.stop();
    data.remove();
  });

  it.skipIf(COAP_CLIENT === undefined && !postgresRequired)('Debian\'s coap-client opens a window (2.01 Created); an owner claims over HTTP: SUCCESS', async () => {
    const [token] = await addDevices('libcoap-1');
    expectOk(await coapClient(port, claimPath(token ?? ''), { payload: '{"secretKey":"from-libcoap","durationMs":60000}' }), 60_000);
    expectFailure(await claim('oscar', 'libcoap-1', 'wrong'));
    expectSuccess(await claim('olivia', 'libcoap-1', 'from-libcoap'), 'libcoap-1');
    // Owned now: the device is told, with a code it can read.
    expectError(await coapClient(port, claimPath(token ?? ''), { payload: '{"secretKey":"again"}' }), '4.03', 'already_claimed');
  });

  it('the coap npm client opens a window; no payload is an empty secret and the default duration', async () => {
    const [first, second] = await addDevices('node-coap-1', 'node-coap-2');
    expectOk(await coapRequest(port, claimPath(first ?? ''), { payload: JSON.stringify({ secretKey: 'from-node', durationMs: 30_000 }) }), 30_000);
    expectSuccess(await claim('olivia', 'node-coap-1', 'from-node'), 'node-coap-1');
    expectOk(await coapRequest(port, claimPath(second ?? '')), 120_000);
    expectSuccess(await claim('oscar', 'node-coap-2', ''), 'node-coap-2');
    expectError(await coapRequest(port, claimPath(second ?? ''), { payload: '{}' }), '4.03', 'already_claimed');
  });

  it('an unknown access token is 4.01 Unauthorized', async () => {
    expectError(await coapRequest(port, claimPath('dt_not-a-token-of-ours'), { payload: '{"secretKey":"a"}' }), '4.01', 'unknown_access_token');
    if (COAP_CLIENT !== undefined) expectError(await coapClient(port, claimPath('dt_not-a-token-of-ours'), { payload: '{}' }), '4.01', 'unknown_access_token');
  });

  it('bad payloads are 4.00 Bad Request (too large: 4.13), and nothing is stored', async () => {
    const [token] = await addDevices('sloppy-coap-1');
    const path = claimPath(token ?? '');
    const bad: [string, string | Buffer][] = [
      ['not JSON', '{"secretKey": nope'],
      ['a JSON array', '["from-array"]'],
      ['a JSON string', '"from-string"'],
      ['a number secret', '{"secretKey":5}'],
      ['a text duration', '{"secretKey":"typed","durationMs":"soon"}'],
      ['a boolean duration', '{"secretKey":"typed","durationMs":true}'],
      ['an overlong secret', JSON.stringify({ secretKey: 'x'.repeat(257) })],
      ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ];
    for (const [what, payload] of bad) {
      const answer = await coapRequest(port, path, { payload });
      expect(answer.code, `${what}: ${answer.text}`).toBe('4.00');
      expect(answer.json, what).toMatchObject({ result: 'ERROR', code: 'invalid_input' });
    }
    const huge = JSON.stringify({ secretKey: 'huge', padding: 'x'.repeat(20_000) });
    const tooLarge = await coapRequest(port, path, { payload: huge, block1: true });
    expectError(tooLarge, '4.13', 'payload_too_large');
    if (COAP_CLIENT !== undefined) {
      expectError(await coapClient(port, path, { payload: '[1,2,3]' }), '4.00', 'invalid_input');
      expectError(await coapClient(port, path, { payload: 'secretKey=abc' }), '4.00', 'invalid_input');
      expectError(await coapClient(port, path, { payload: huge }), '4.13', 'payload_too_large');
    }
    // No window was opened by any of them.
    for (const secretKey of ['', 'from-array', 'from-string', 'typed', 'huge']) expectFailure(await claim('olivia', 'sloppy-coap-1', secretKey));
    // A good announcement still works afterwards.
    expectOk(await coapRequest(port, path, { payload: '{"secretKey":"finally"}' }), 120_000);
    expectSuccess(await claim('olivia', 'sloppy-coap-1', 'finally'), 'sloppy-coap-1');
  });

  it('a device whose claiming is off is told so: 4.03 claiming_not_allowed', async () => {
    const created = await call(`${server.url}/api/v1/ip-devices`, 'POST', 'maker', { name: 'locked-coap-1', claimingAllowed: false });
    expect(created.status, created.text).toBe(201);
    const token = (created.json as { accessToken: string }).accessToken;
    expectError(await coapRequest(port, claimPath(token), { payload: '{"secretKey":"k"}' }), '4.03', 'claiming_not_allowed');
    expectFailure(await claim('olivia', 'locked-coap-1', 'k'));
  });

  it('other paths are 4.04 Not Found, other methods 4.05 Method Not Allowed', async () => {
    const [token] = await addDevices('paths-coap-1');
    expectError(await coapRequest(port, '/api/v1/claim', { payload: '{}' }), '4.04', 'not_found');
    expectError(await coapRequest(port, `/api/v1/${token ?? ''}/attributes`, { payload: '{}' }), '4.04', 'not_found');
    expectError(await coapRequest(port, `/api/v2/${token ?? ''}/claim`, { payload: '{}' }), '4.04', 'not_found');
    expectError(await coapRequest(port, claimPath(token ?? ''), { method: 'GET' }), '4.05', 'method_not_allowed');
    expectError(await coapRequest(port, claimPath(token ?? ''), { method: 'PUT', payload: '{}' }), '4.05', 'method_not_allowed');
    if (COAP_CLIENT !== undefined) expectError(await coapClient(port, claimPath(token ?? ''), { method: 'delete' }), '4.05', 'method_not_allowed');
    // None of them opened a window.
    expectFailure(await claim('olivia', 'paths-coap-1', ''));
  });

  it('a CoAP port that is taken fails the boot with a message naming DEED_COAP_PORT', async () => {
    const taken: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    const dir = tempDir();
    try {
      const started = startDeed({ dataDir: dir.path, env: { DEED_COAP_PORT: String(taken.address().port), DEED_LOG_LEVEL: 'warn' } });
      await expect(started).rejects.toThrow(/cannot listen for CoAP on udp 127\.0\.0\.1:\d+: the port is in use by another program; set DEED_COAP_PORT/);
    } finally {
      taken.close();
      dir.remove();
    }
  });
});
