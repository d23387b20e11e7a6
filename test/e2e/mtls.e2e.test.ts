import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type CertificateFiles, type TestPki } from '../support/certificates.js';
import { ADMIN_PASSWORD, runDeed, startDeed, startDeedWithHttps, tempDir, type DeedServer } from '../support/deed-process.js';
import { freePort } from '../support/free-port.js';
import {
  deviceAcceptsJoin, joinReq, postBi, registerRandomDevice, resultCode, unwrapKey, type MacVersion, type TestDevice,
} from '../support/network-server.js';

const NS_KEK = '000102030405060708090A0B0C0D0E0F';
const TOKEN_NS_KEK = '101112131415161718191A1B1C1D1E1F';
const UNTRUSTED_NS_KEK = '202122232425262728292A2B2C2D2E2F';

/** The outcome of one HTTPS request: an answer, or the error the connection ended with. */
type TlsOutcome =
  | { readonly ok: true; readonly status: number; readonly body: Record<string, unknown> }
  | { readonly ok: false; readonly error: string };

/**
 * POSTs a BI message over HTTPS with node's https client: verifies the server against the test
 * CA, presents `client` (if any) as its TLS client certificate and `token` (if any) as a bearer
 * token. A fresh connection every time (`agent: false`), so no TLS session is reused across
 * identities.
 */
function postBiTls(url: string, message: unknown, o: { ca: Buffer; client?: CertificateFiles; token?: string }): Promise<TlsOutcome> {
  const body = JSON.stringify(message);
  return new Promise((resolve) => {
    const req = httpsRequest(`${url}/api/bi`, {
      method: 'POST',
      agent: false,
      ca: o.ca,
      ...(o.client !== undefined ? { cert: o.client.certPem(), key: o.client.keyPem() } : {}),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}),
      },
      timeout: 10_000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('error', (err) => resolve({ ok: false, error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
      res.on('end', () => {
        try {
          resolve({ ok: true, status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
        } catch {
          resolve({ ok: false, error: `not JSON (HTTP ${res.statusCode ?? 0}): ${text.slice(0, 200)}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ ok: false, error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
    req.end(body);
  });
}

function answered(outcome: TlsOutcome): { status: number; body: Record<string, unknown> } {
  if (!outcome.ok) throw new Error(`the HTTPS request failed: ${outcome.error}`);
  return outcome;
}

/**
 * The HTTPS listener with TLS client certificates, driven by node's own TLS client and a PKI
 * made with the openssl command: Network Servers authenticated by certificate (registered with
 * the CLI's --cert), by bearer token, and refused when their certificate is untrusted or unknown.
 */
describe('Backend Interfaces over HTTPS with client certificates, end to end', () => {
  let pki: TestPki;
  let server: DeedServer;
  let httpsUrl: string;
  let token: string;
  const data = tempDir();

  const adminHeaders = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
  const addDevice = (macVersion: MacVersion, homeNetId: string): Promise<TestDevice> =>
    registerRandomDevice(server.url, adminHeaders, macVersion, homeNetId);

  const nextJoinNonce = async (device: TestDevice): Promise<number> => {
    const response = await fetch(`${server.url}/api/v1/devices/${device.devEui}?nonces=true`, { headers: adminHeaders });
    expect(response.status).toBe(200);
    return ((await response.json()) as { nonces: { nextJoinNonce: number } }).nonces.nextJoinNonce;
  };

  beforeAll(async () => {
    pki = createTestPki();
    const started = await startDeedWithHttps(pki, data.path);
    ({ server, httpsUrl } = started);
    const { httpsPort } = started;
    expect(server.output()).toContain(`and https://127.0.0.1:${httpsPort}`);

    // A Network Server that authenticates with its client certificate only.
    const certPeer = runDeed(['peer', 'add', '--net-id', '000013', '--cert', pki.client.cert, '--kek-label', 'ns-000013', '--kek', NS_KEK], { url: server.url });
    expect(certPeer.code, certPeer.stderr).toBe(0);
    const certView = certPeer.json<{ id: string; token?: string; authentication: { token: boolean; certFingerprint: string | null } }>();
    expect(certView.authentication).toEqual({ token: false, certFingerprint: pki.client.fingerprint });
    expect(certView.token).toBeUndefined();

    // A Network Server that authenticates with a bearer token.
    const tokenPeer = runDeed(['peer', 'add', '--net-id', '000014', '--kek-label', 'ns-000014', '--kek', TOKEN_NS_KEK], { url: server.url });
    expect(tokenPeer.code, tokenPeer.stderr).toBe(0);
    token = tokenPeer.json<{ token: string }>().token;

    // A peer registered with the fingerprint of a certificate the client CA did not sign: the
    // fingerprint alone must never authenticate anybody.
    const untrustedPeer = runDeed(['peer', 'add', '--net-id', '000015', '--cert', pki.untrustedClient.cert, '--kek-label', 'ns-000015', '--kek', UNTRUSTED_NS_KEK], { url: server.url });
    expect(untrustedPeer.code, untrustedPeer.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    pki?.remove();
  });

  for (const macVersion of ['1.0.3', '1.1'] as MacVersion[]) {
    it(`activates a ${macVersion} device for a Network Server identified only by its client certificate`, async () => {
      const device = await addDevice(macVersion, '000013');
      const devNonce = 0x2a2a;
      const { status, body } = answered(await postBiTls(httpsUrl, joinReq(device, devNonce), { ca: pki.ca.certPem(), client: pki.client }));
      expect(status).toBe(200);
      expect(body['Result'], JSON.stringify(body)).toEqual({ ResultCode: 'Success' });
      expect(body['MessageType']).toBe('JoinAns');
      expect(body['ReceiverID']).toBe('000013');

      const accepted = deviceAcceptsJoin(device, devNonce, '000013', body['PHYPayload'] as string);
      expect(accepted.micOk).toBe(true);
      expect(accepted.joinNonce).toBe(1);
      expect(accepted.netId).toBe('000013');
      const nsKey = macVersion === '1.1' ? 'FNwkSIntKey' : 'NwkSKey';
      const envelope = body[nsKey] as { KEKLabel: string; AESKey: string };
      expect(envelope.KEKLabel).toBe('ns-000013');
      expect(unwrapKey(NS_KEK, envelope.AESKey)).toBe(accepted.keys[nsKey]);
      expect(await nextJoinNonce(device)).toBe(2);
    });
  }

  it('refuses a client certificate from an untrusted CA, even one whose fingerprint is registered', async () => {
    const device = await addDevice('1.0.3', '000015');
    const outcome = await postBiTls(httpsUrl, joinReq(device, 1, { netId: '000015' }), { ca: pki.ca.certPem(), client: pki.untrustedClient });
    expect(outcome.ok ? resultCode(outcome.body) : undefined).not.toBe('Success');
    expect(outcome.ok, outcome.ok ? JSON.stringify(outcome.body) : outcome.error).toBe(false);

    // A valid bearer token does not rescue a connection that presented an untrusted certificate.
    const tokenDevice = await addDevice('1.0.3', '000014');
    const withToken = await postBiTls(httpsUrl, joinReq(tokenDevice, 1, { netId: '000014' }), { ca: pki.ca.certPem(), client: pki.untrustedClient, token });
    expect(withToken.ok ? resultCode(withToken.body) : undefined).not.toBe('Success');
    expect(withToken.ok, withToken.ok ? JSON.stringify(withToken.body) : withToken.error).toBe(false);

    expect(await nextJoinNonce(device)).toBe(1);
    expect(await nextJoinNonce(tokenDevice)).toBe(1);
    // The server's log reaches this process through a pipe, read between the test's awaits: wait for it.
    await expect.poll(() => server.output(), { timeout: 5000 }).toContain('refused a TLS client certificate');
  });

  it('answers UnknownSender to a trusted certificate that is not registered as a peer', async () => {
    const device = await addDevice('1.0.3', '000013');
    const { status, body } = answered(await postBiTls(httpsUrl, joinReq(device, 7), { ca: pki.ca.certPem(), client: pki.otherClient }));
    expect(status).toBe(200);
    expect(resultCode(body), JSON.stringify(body)).toBe('UnknownSender');
    expect(body['PHYPayload']).toBeUndefined();
    expect(await nextJoinNonce(device)).toBe(1);
  });

  it('accepts a bearer token over HTTPS from a client without a certificate', async () => {
    const device = await addDevice('1.0.4', '000014');
    const { status, body } = answered(await postBiTls(httpsUrl, joinReq(device, 0, { netId: '000014' }), { ca: pki.ca.certPem(), token }));
    expect(status).toBe(200);
    expect(body['Result'], JSON.stringify(body)).toEqual({ ResultCode: 'Success' });
    const accepted = deviceAcceptsJoin(device, 0, '000014', body['PHYPayload'] as string);
    expect(accepted.micOk).toBe(true);
    expect(accepted.joinNonce).toBe(1);
    expect(unwrapKey(TOKEN_NS_KEK, (body['NwkSKey'] as { AESKey: string }).AESKey)).toBe(accepted.keys['NwkSKey']);

    // Neither a certificate nor a token: nobody.
    const anonymous = answered(await postBiTls(httpsUrl, joinReq(device, 1, { netId: '000014' }), { ca: pki.ca.certPem() }));
    expect(resultCode(anonymous.body)).toBe('UnknownSender');
  });

  it('still serves the plain HTTP listener with a bearer token (and a certificate peer cannot use it)', async () => {
    const device = await addDevice('1.0.3', '000014');
    const { status, body } = await postBi(server.url, token, joinReq(device, 99, { netId: '000014' }));
    expect(status).toBe(200);
    expect(body['Result'], JSON.stringify(body)).toEqual({ ResultCode: 'Success' });
    expect(deviceAcceptsJoin(device, 99, '000014', body['PHYPayload'] as string).micOk).toBe(true);

    const certDevice = await addDevice('1.0.3', '000013');
    const noCredentials = await postBi(server.url, null, joinReq(certDevice, 99));
    expect(resultCode(noCredentials.body)).toBe('UnknownSender');
  });

  it('fails at boot, naming the setting, when a TLS file is missing or not configured', async () => {
    const boot = async (env: Record<string, string>): Promise<string> => {
      const dir = tempDir();
      try {
        const started = await startDeed({ dataDir: dir.path, env: { DEED_HTTPS_PORT: String(await freePort()), ...env } }).then(
          async (s) => { await s.stop(); return null; },
          (err: unknown) => (err as Error).message,
        );
        if (started === null) throw new Error(`deed serve started with ${JSON.stringify(env)}`);
        return started;
      } finally {
        dir.remove();
      }
    };
    const missing = join(pki.dir, 'no-such-file.pem');
    const [cert, key, clientCa, unset] = await Promise.all([
      boot({ DEED_TLS_CERT: missing, DEED_TLS_KEY: pki.server.key, DEED_TLS_CLIENT_CA: pki.ca.cert }),
      boot({ DEED_TLS_CERT: pki.server.cert, DEED_TLS_KEY: missing, DEED_TLS_CLIENT_CA: pki.ca.cert }),
      boot({ DEED_TLS_CERT: pki.server.cert, DEED_TLS_KEY: pki.server.key, DEED_TLS_CLIENT_CA: missing }),
      boot({ DEED_TLS_CERT: pki.server.cert }),
    ]);
    expect(cert).toMatch(/exited with [1-9]/);
    expect(cert).toContain('DEED_TLS_CERT');
    expect(cert).toContain(missing);
    expect(key).toContain('DEED_TLS_KEY');
    expect(key).toContain(missing);
    expect(clientCa).toContain('DEED_TLS_CLIENT_CA');
    expect(clientCa).toContain(missing);
    expect(unset).toMatch(/DEED_TLS_KEY.*required/);
    for (const message of [cert, key, clientCa, unset]) expect(message).not.toContain('Deed is serving');
  });
});
