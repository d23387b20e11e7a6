import type { IncomingMessage, OutgoingMessage } from 'coap';
import { deviceByAccessToken, openClaimWindow, parseAnnouncement, type ClaimWindowDeps } from '../../claiming/claim-window.js';
import { DeedError } from '../../shared/deed-error.js';
import { InvalidInputError } from '../../shared/errors.js';

/** Largest claim request a device may send over CoAP (after Block1 reassembly), bytes — as over HTTP. */
export const MAX_CLAIM_PAYLOAD = 8 * 1024;

/** A CoAP response code, `c.dd` (RFC 7252 §5.9). */
export type CoapCode = '2.01' | '4.00' | '4.01' | '4.03' | '4.04' | '4.05' | '4.13' | '5.00';

/** The one mapping of error codes to CoAP response codes. */
const CODES: Readonly<Record<string, CoapCode>> = {
  invalid_input: '4.00',
  unknown_access_token: '4.01',
  already_claimed: '4.03',
  claiming_not_allowed: '4.03',
  not_found: '4.04',
  method_not_allowed: '4.05',
  payload_too_large: '4.13',
};

/** What the CoAP transport needs: the claim-window use cases' dependencies and a log. */
export interface CoapClaimDeps {
  readonly deviceWindows: ClaimWindowDeps;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** The claim path `/api/v1/{accessToken}/claim`: the token, or null for any other path. */
function claimPathToken(url: string): string | null {
  const segments = (url.split('?')[0] ?? '').split('/').slice(1);
  if (segments.length !== 4 || segments[0] !== 'api' || segments[1] !== 'v1' || segments[3] !== 'claim') return null;
  return segments[2] ?? null;
}

/** The payload as JSON, or undefined when there is none (empty secret, default duration). */
function readJson(payload: Buffer | undefined): unknown {
  if (payload === undefined || payload.length === 0) return undefined;
  if (payload.length > MAX_CLAIM_PAYLOAD) {
    throw new DeedError('payload_too_large', `the claim request is larger than ${MAX_CLAIM_PAYLOAD} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new InvalidInputError('the payload is not UTF-8 text; send {"secretKey":"...","durationMs":60000} or nothing');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('the payload is not valid JSON; send {"secretKey":"...","durationMs":60000} or nothing');
  }
}

function send(response: OutgoingMessage, code: CoapCode, body: unknown): void {
  response.code = code;
  response.setOption('Content-Format', 'application/json');
  response.end(Buffer.from(JSON.stringify(body), 'utf8'));
}

/**
 * ThingsBoard's device claim over CoAP: `POST /api/v1/{accessToken}/claim` with
 * `{"secretKey","durationMs"}` (both optional) opens the device's claim window → 2.01 Created
 * `{"result":"OK","expiresAt":…}`. Refusals carry `{"result":"ERROR","code","message"}` the
 * device can read: 4.00 bad payload, 4.01 unknown token, 4.03 already claimed or claiming not
 * allowed, 4.13 too large; 4.04 any other path, 4.05 any other method.
 */
export async function handleClaimRequest(deps: CoapClaimDeps, request: IncomingMessage, response: OutgoingMessage, tooLarge = false): Promise<void> {
  try {
    const accessToken = claimPathToken(request.url);
    if (accessToken === null) throw new DeedError('not_found', `no resource ${request.url.split('?')[0] ?? ''}; devices POST to /api/v1/{accessToken}/claim`);
    if (request.method !== 'POST') {
      throw new DeedError('method_not_allowed', `${String(request.method ?? request.code)} is not allowed on the claim resource; use POST`);
    }
    if (tooLarge) throw new DeedError('payload_too_large', `the claim request is larger than ${MAX_CLAIM_PAYLOAD} bytes`);
    const body = readJson(request.payload);
    const device = await deviceByAccessToken(deps.deviceWindows, accessToken);
    const { expiresAt } = await openClaimWindow(deps.deviceWindows, device, parseAnnouncement(body, deps.deviceWindows.settings));
    send(response, '2.01', { result: 'OK', expiresAt: expiresAt.toISOString() });
  } catch (error) {
    const code = error instanceof DeedError ? CODES[error.code] : undefined;
    if (error instanceof DeedError && code !== undefined) {
      if (code === '4.13') response.setOption('Size1', MAX_CLAIM_PAYLOAD);
      send(response, code, { result: 'ERROR', code: error.code, message: error.message });
      return;
    }
    const err = error as Error;
    deps.log.error({ err: { name: err.name, message: err.message } }, 'CoAP claim request failed');
    send(response, '5.00', { result: 'ERROR', code: 'internal', message: 'internal error; see the server log' });
  }
}
