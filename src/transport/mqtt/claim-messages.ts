import {
  deviceByAccessToken, openClaimWindow, openGatewayWindows, parseAnnouncement, type ClaimWindowDeps, type GatewayChildResult,
} from '../../claiming/claim-window.js';
import { DeedError } from '../../shared/deed-error.js';
import { InvalidInputError } from '../../shared/errors.js';

/** A device opens its own claim window here (ThingsBoard's topic). */
export const DEVICE_CLAIM_TOPIC = 'v1/devices/me/claim';
/** A gateway opens windows for the devices it serves. */
export const GATEWAY_CLAIM_TOPIC = 'v1/gateway/claim';
/** Where the publishing device, and only it, reads the outcome. */
export const DEVICE_RESPONSE_TOPIC = 'v1/devices/me/claim/response';
export const GATEWAY_RESPONSE_TOPIC = 'v1/gateway/claim/response';

/** The response topic of each claim topic. */
export const RESPONSE_TOPIC_OF: Readonly<Record<string, string>> = {
  [DEVICE_CLAIM_TOPIC]: DEVICE_RESPONSE_TOPIC,
  [GATEWAY_CLAIM_TOPIC]: GATEWAY_RESPONSE_TOPIC,
};

/** Largest device announcement, bytes — as over HTTP and CoAP. */
export const MAX_DEVICE_PAYLOAD = 8 * 1024;
/** Largest gateway announcement, bytes: up to 1000 children of about 100 bytes each. */
export const MAX_GATEWAY_PAYLOAD = 128 * 1024;

/** A refusal the device can read. */
export interface ErrorResponse {
  readonly result: 'ERROR';
  readonly code: string;
  readonly message: string;
}

export type DeviceClaimResponse = { readonly result: 'OK'; readonly expiresAt: string } | ErrorResponse;
export type GatewayClaimResponse = Readonly<Record<string, GatewayChildResult>> | ErrorResponse;

/** What answering claim messages needs: the claim-window use cases' dependencies and a log. */
export interface MqttClaimDeps {
  readonly deviceWindows: ClaimWindowDeps;
  readonly log: { error(obj: object, msg: string): void };
}

/** Strict UTF-8: malformed bytes throw. Stateless between `decode` calls without `stream`, so shared. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as JSON; an empty one is `undefined` (empty secret, default duration). */
function readJson(payload: Buffer, limit: number): unknown {
  if (payload.length > limit) throw new DeedError('payload_too_large', `the claim message is larger than ${limit} bytes`);
  if (payload.length === 0) return undefined;
  let text: string;
  try {
    text = UTF8.decode(payload);
  } catch {
    throw new InvalidInputError('the payload is not UTF-8 text; send {"secretKey":"…","durationMs":60000} or nothing');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('the payload is not valid JSON; send {"secretKey":"…","durationMs":60000} or nothing');
  }
}

/** The one mapping of errors to what the device reads: the stable code and its message. */
function errorResponse(deps: MqttClaimDeps, error: unknown): ErrorResponse {
  if (error instanceof DeedError) return { result: 'ERROR', code: error.code, message: error.message };
  const err = error as Error;
  deps.log.error({ err: { name: err.name, message: err.message } }, 'MQTT claim message failed');
  return { result: 'ERROR', code: 'internal', message: 'internal error; see the server log' };
}

/**
 * `v1/devices/me/claim`: `{"secretKey","durationMs"}` (both optional) opens the window of the
 * device the access token names → `{"result":"OK","expiresAt":…}`, or a refusal
 * `{"result":"ERROR","code","message"}` (`already_claimed`, `claiming_not_allowed`,
 * `invalid_input`, `payload_too_large`, `unknown_access_token` after a token rotation).
 */
export async function answerDeviceClaim(deps: MqttClaimDeps, accessToken: string, payload: Buffer): Promise<DeviceClaimResponse> {
  try {
    const announcement = parseAnnouncement(readJson(payload, MAX_DEVICE_PAYLOAD), deps.deviceWindows.settings);
    const device = await deviceByAccessToken(deps.deviceWindows, accessToken);
    const { expiresAt } = await openClaimWindow(deps.deviceWindows, device, announcement);
    return { result: 'OK', expiresAt: expiresAt.toISOString() };
  } catch (error) {
    return errorResponse(deps, error);
  }
}

/**
 * `v1/gateway/claim`: `{"Device A":{"secretKey","durationMs"},…}` opens one window per named
 * device of the gateway → one result per name (`OK`, `CLAIMED`, `NOT_ALLOWED`, `ERROR`); a
 * message that is not such an object is refused whole with `{"result":"ERROR",…}`.
 */
export async function answerGatewayClaim(deps: MqttClaimDeps, accessToken: string, payload: Buffer): Promise<GatewayClaimResponse> {
  try {
    const body = readJson(payload, MAX_GATEWAY_PAYLOAD);
    const gateway = await deviceByAccessToken(deps.deviceWindows, accessToken);
    return await openGatewayWindows(deps.deviceWindows, gateway, body);
  } catch (error) {
    return errorResponse(deps, error);
  }
}
