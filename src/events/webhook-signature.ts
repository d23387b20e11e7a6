import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'Deed-Signature';

/** How far a signature's timestamp may be from the receiver's clock by default, seconds. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** HMAC-SHA256 of `<t>.<body>` under the secret (the whole `whsec_…` string, UTF-8), lower-case hex. */
function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * The `Deed-Signature` value for one delivery attempt: `t=<timestamp>,v1=<hex HMAC-SHA256 of
 * "<timestamp>.<body>" under the secret>`. `timestamp` is whole Unix seconds.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('signWebhook: timestamp must be whole Unix seconds');
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver does (docs/events.md has the same in a few lines): parses the header,
 * recomputes the HMAC over the raw body, compares in constant time, and refuses a timestamp
 * more than `toleranceSeconds` from `nowSeconds` (a replayed old request). Any `v1=` entry may
 * match (room for a second one during a future secret rotation).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { readonly nowSeconds: number; readonly toleranceSeconds?: number },
): boolean {
  if (header === undefined) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  const [timestampText] = timestamps;
  if (timestamps.length !== 1 || timestampText === undefined || !/^\d{1,15}$/.test(timestampText)) return false;
  const timestamp = Number(timestampText);
  if (Math.abs(options.nowSeconds - timestamp) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  });
}
