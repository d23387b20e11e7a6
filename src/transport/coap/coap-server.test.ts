import { createSocket } from 'node:dgram';
import { Agent, request, type IncomingMessage } from 'coap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimWindowDeps } from '../../claiming/claim-window.js';
import type { IpDeviceRecord } from '../../claiming/ip-device.js';
import { startCoapServer, type CoapListener } from './coap-server.js';

const device: IpDeviceRecord = {
  id: 'device-1', name: 'thermostat-1', scope: 'admin', provisionerId: null, applicationId: null, gatewayId: null,
  accessTokenHash: 'hash:good', claimingAllowed: null, claimedAt: null, version: 1, createdAt: new Date(0), updatedAt: new Date(0),
};
const NOW = new Date('2030-01-01T00:00:00.000Z');

describe('the CoAP claim listener', () => {
  const windows: { deviceId: string; expiresAt: Date }[] = [];
  const errors: string[] = [];
  let listener: CoapListener;
  const agent = new Agent({ type: 'udp4' });

  const deviceWindows = {
    ipDevices: {
      getByTokenHash: async (hash: string) => (hash === 'hash:good' ? device : hash === 'hash:owned' ? { ...device, applicationId: 'app-1' } : null),
      putWindow: async (window: { deviceId: string; expiresAt: Date }) => {
        windows.push(window);
        return true;
      },
    },
    hashToken: (token: string) => `hash:${token}`,
    vault: { seal: () => ({ keyId: 'k', iv: '', ciphertext: '', tag: '' }) },
    clock: { now: () => NOW },
    settings: { allowClaimingByDefault: true, defaultDurationMs: 60_000, maxDurationMs: 3_600_000, maxSecretFailures: 5 },
  } as unknown as ClaimWindowDeps;

  const send = (path: string, options: { payload?: string | Buffer; method?: 'GET' | 'POST' | 'PUT'; block1?: number; size1?: number } = {}) =>
    new Promise<{ code: string; body: Record<string, unknown>; format: unknown; size1: unknown }>((resolve, reject) => {
      const req = request({ hostname: '127.0.0.1', port: listener.port, pathname: path, method: options.method ?? 'POST', agent });
      if (options.block1 !== undefined) req.setOption('Block1', Buffer.of(options.block1));
      if (options.size1 !== undefined) req.setOption('Size1', options.size1);
      req.on('response', (response: IncomingMessage) => resolve({
        code: response.code,
        body: JSON.parse(response.payload.toString('utf8')) as Record<string, unknown>,
        format: response.headers['Content-Format'],
        size1: response.headers['Size1'],
      }));
      req.on('error', reject);
      req.end(options.payload);
    });

  beforeAll(async () => {
    listener = await startCoapServer({ deviceWindows, log: { warn: () => undefined, error: (_obj, msg) => errors.push(msg) } }, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    agent.close();
    await listener.close();
  });

  it('opens a window: 2.01 Created with {result, expiresAt} as JSON', async () => {
    const answer = await send('/api/v1/good/claim', { payload: '{"secretKey":"abc","durationMs":1000}' });
    expect(answer).toMatchObject({ code: '2.01', format: 'application/json', body: { result: 'OK', expiresAt: '2030-01-01T00:00:01.000Z' } });
    expect(windows.at(-1)).toMatchObject({ deviceId: 'device-1', expiresAt: new Date('2030-01-01T00:00:01.000Z') });
    // No payload: the default duration.
    expect((await send('/api/v1/good/claim')).body).toMatchObject({ result: 'OK', expiresAt: '2030-01-01T00:01:00.000Z' });
  });

  it('maps refusals to CoAP codes with a payload the device can read', async () => {
    const count = windows.length;
    expect(await send('/api/v1/nope/claim', { payload: '{}' })).toMatchObject({ code: '4.01', body: { result: 'ERROR', code: 'unknown_access_token' } });
    expect(await send('/api/v1/owned/claim', { payload: '{}' })).toMatchObject({ code: '4.03', body: { code: 'already_claimed' } });
    expect(await send('/api/v1/good/claim', { payload: 'nope' })).toMatchObject({ code: '4.00', body: { code: 'invalid_input' } });
    expect(await send('/api/v1/good/claim', { payload: '[1]' })).toMatchObject({ code: '4.00', body: { code: 'invalid_input' } });
    expect(await send('/api/v1/good/claim', { payload: '{"durationMs":"x"}' })).toMatchObject({ code: '4.00', body: { code: 'invalid_input' } });
    expect(await send('/api/v1/good/claim', { method: 'GET' })).toMatchObject({ code: '4.05', body: { code: 'method_not_allowed' } });
    expect(await send('/api/v1/good/claim/more', { payload: '{}' })).toMatchObject({ code: '4.04', body: { code: 'not_found' } });
    expect(await send('/', { payload: '{}' })).toMatchObject({ code: '4.04', body: { code: 'not_found' } });
    expect(windows).toHaveLength(count);
  });

  it('stops a Block1 upload at the block that passes 8 KiB, or at the first when Size1 announces more: 4.13 with Size1', async () => {
    const count = windows.length;
    const big = JSON.stringify({ secretKey: 'x', padding: 'y'.repeat(20_000) });
    expect(await send('/api/v1/good/claim', { payload: big, block1: 0x06 })).toMatchObject({ code: '4.13', size1: 8192, body: { code: 'payload_too_large' } });
    expect(await send('/api/v1/good/claim', { payload: '{}', block1: 0x06, size1: 9000 })).toMatchObject({ code: '4.13' });
    // Within the limit, blocks are put together and read as one payload.
    const fits = JSON.stringify({ secretKey: 'z'.repeat(200), padding: 'y'.repeat(3000) });
    expect(await send('/api/v1/good/claim', { payload: fits, block1: 0x06 })).toMatchObject({ code: '2.01' });
    expect(windows).toHaveLength(count + 1);
    expect(errors).toEqual([]);
  });

  it('names DEED_COAP_PORT when the port is taken', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    try {
      await expect(startCoapServer({ deviceWindows, log: { warn: () => undefined, error: () => undefined } }, { host: '127.0.0.1', port: taken.address().port }))
        .rejects.toThrow(/udp 127\.0\.0\.1:\d+: the port is in use by another program; set DEED_COAP_PORT to a free port, or to 0 to turn CoAP off/);
    } finally {
      taken.close();
    }
  });
});
