import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

const secret = 'whsec_test-secret';
const body = '{"id":"1","type":"device.claimed"}';
const t = 1_700_000_000;

describe('webhook signatures', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> under the whole secret', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: t })).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: t + 300 })).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: t - 300 })).toBe(true);
  });

  it('refuses another body, secret or timestamp, an old timestamp, and malformed headers', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhookSignature(secret, header, `${body} `, { nowSeconds: t })).toBe(false);
    expect(verifyWebhookSignature('whsec_other', header, body, { nowSeconds: t })).toBe(false);
    expect(verifyWebhookSignature(secret, header.replace(`t=${t}`, `t=${t + 1}`), body, { nowSeconds: t })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: t + 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: t + 10, toleranceSeconds: 5 })).toBe(false);
    for (const bad of [undefined, '', 'v1=abc', `t=${t}`, `t=${t},v1=zz`, `t=x,v1=${'0'.repeat(64)}`, `t=${t},t=${t},${header.split(',')[1]}`]) {
      expect(verifyWebhookSignature(secret, bad, body, { nowSeconds: t })).toBe(false);
    }
  });

  it('accepts any one matching v1 entry', () => {
    const [, v1] = signWebhook(secret, t, body).split(',');
    expect(verifyWebhookSignature(secret, `t=${t},v1=${'0'.repeat(64)},${v1}`, body, { nowSeconds: t })).toBe(true);
  });

  it('wants whole seconds', () => {
    expect(() => signWebhook(secret, 1.5, body)).toThrow(RangeError);
  });
});
