import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../support/certificates.js';
import { ADMIN_PASSWORD, runDeed, startDeedWithHttps, tempDir, type DeedServer } from '../support/deed-process.js';
import { joinReq, registerRandomDevice, resultCode } from '../support/network-server.js';

const NS_KEK = '000102030405060708090A0B0C0D0E0F';

/** One HTTP exchange as a client sees it. */
interface Exchange {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly connection: string | undefined;
  readonly text: string;
}

interface Sent {
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  readonly chunked?: boolean;
}

/**
 * `POST /api/bi` is answered by two HTTP stacks: on the plain-HTTP listener by the fast path in
 * front of Fastify (bi-fast-path.ts), on the HTTPS listener by the Fastify route. Every request
 * here is sent to both listeners of one real `deed serve`, and the answers must be the same:
 * status, Content-Type and body (and the connection closed after a 413).
 */
describe('Backend Interfaces: the same answers on the HTTP and the HTTPS listener', () => {
  let pki: TestPki;
  let server: DeedServer;
  let httpsUrl: string;
  let token: string;
  const data = tempDir();
  const adminHeaders = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

  function send(url: string, sent: Sent): Promise<Exchange> {
    const target = new URL(sent.path ?? '/api/bi', url);
    const secure = target.protocol === 'https:';
    const body = sent.body === undefined ? undefined : Buffer.from(sent.body);
    const headers: Record<string, string | number> = { ...sent.headers };
    if (body !== undefined && sent.chunked !== true) headers['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const options = { method: sent.method ?? 'POST', headers, agent: false as const, timeout: 10_000, ...(secure ? { ca: pki.ca.certPem() } : {}) };
      const req = (secure ? httpsRequest : httpRequest)(target, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { text += chunk; });
        res.on('end', () => resolve({
          status: res.statusCode ?? 0, contentType: res.headers['content-type'], connection: res.headers.connection, text,
        }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      // A server may answer a too-large body and close before it has all been written.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      if (body === undefined) req.end();
      else if (sent.chunked === true) {
        for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
        req.end();
      } else req.end(body);
    });
  }

  /** The same request to both listeners. */
  async function both(sent: Sent): Promise<{ plain: Exchange; tls: Exchange }> {
    return { plain: await send(server.url, sent), tls: await send(httpsUrl, sent) };
  }

  beforeAll(async () => {
    pki = createTestPki();
    ({ server, httpsUrl } = await startDeedWithHttps(pki, data.path));
    const peer = runDeed(['peer', 'add', '--net-id', '000013', '--kek-label', 'ns-000013', '--kek', NS_KEK], { url: server.url });
    expect(peer.code, peer.stderr).toBe(0);
    token = peer.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    pki?.remove();
  });

  const json = { 'content-type': 'application/json' };
  const bearer = () => ({ ...json, authorization: `Bearer ${token}` });
  const cases: [string, () => Sent][] = [
    ['a body that is not JSON', () => ({ headers: json, body: 'not json' })],
    ['a JSON array', () => ({ headers: { 'content-type': 'text/plain' }, body: '[1,2]' })],
    ['an empty body', () => ({ headers: json, body: '' })],
    ['no body and no Content-Type', () => ({})],
    ['an unknown bearer token', () => ({ headers: { ...json, authorization: 'Bearer nope' }, body: JSON.stringify({ ProtocolVersion: '1.1', TransactionID: 7, MessageType: 'JoinReq', SenderID: '000013', ReceiverID: '70B3D57ED0000000' }) })],
    ['no credentials', () => ({ headers: json, body: JSON.stringify({ ProtocolVersion: '1.0', TransactionID: 1, MessageType: 'HomeNSReq', SenderID: '000013', ReceiverID: 'x' }) })],
    ['a header that is wrong', () => ({ headers: bearer(), body: JSON.stringify({ ProtocolVersion: '2.0', TransactionID: -1, MessageType: 'JoinReq', SenderID: '', ReceiverID: 'x' }) })],
    ['an unknown MessageType', () => ({ headers: bearer(), body: JSON.stringify({ ProtocolVersion: '1.0', TransactionID: 2, MessageType: 'PRStartReq', SenderID: '000013', ReceiverID: 'x' }) })],
    ['a JoinReq with fields missing', () => ({ headers: bearer(), body: JSON.stringify({ ProtocolVersion: '1.0', TransactionID: 3, MessageType: 'JoinReq', SenderID: '000013', ReceiverID: 'x', MACVersion: '1.0.3' }) })],
    ['a JoinReq for an unknown device', () => ({ headers: bearer(), body: JSON.stringify({ ...joinReq({ devEui: '0102030405060708', joinEui: '70B3D57ED0000000', appKey: '00'.repeat(16), macVersion: '1.0.3' }, 1), TransactionID: 4 }) })],
    ['a query string', () => ({ path: '/api/bi?x=1', headers: bearer(), body: JSON.stringify({ ProtocolVersion: '1.0', TransactionID: 5, MessageType: 'HomeNSReq', SenderID: '000013', ReceiverID: 'x', DevEUI: 'zz' }) })],
    ['a body over 32 KiB with Content-Length', () => ({ headers: json, body: 'a'.repeat(40_000) })],
    ['a chunked body over 32 KiB', () => ({ headers: json, body: 'a'.repeat(40_000), chunked: true })],
    ['a GET', () => ({ method: 'GET' })],
  ];
  for (const [name, sent] of cases) {
    it(`answers ${name} alike`, async () => {
      const { plain, tls } = await both(sent());
      expect(plain.status).toBeGreaterThan(0);
      expect({ status: plain.status, contentType: plain.contentType, text: plain.text }).toEqual({ status: tls.status, contentType: tls.contentType, text: tls.text });
      if (plain.status === 413) expect([plain.connection, tls.connection]).toEqual(['close', 'close']);
    });
  }

  it('activates a device alike: the same answer fields, each with a Success', async () => {
    const device = await registerRandomDevice(server.url, adminHeaders, '1.0.3', '000013');
    const plain = await send(server.url, { headers: bearer(), body: JSON.stringify(joinReq(device, 1)) });
    const tls = await send(httpsUrl, { headers: bearer(), body: JSON.stringify(joinReq(device, 2)) });
    const [a, b] = [JSON.parse(plain.text) as Record<string, unknown>, JSON.parse(tls.text) as Record<string, unknown>];
    expect([resultCode(a), resultCode(b)]).toEqual(['Success', 'Success']);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect([plain.status, plain.contentType]).toEqual([tls.status, tls.contentType]);
  });
});
