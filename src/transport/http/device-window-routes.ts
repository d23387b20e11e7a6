import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import {
  claimByName, deviceByAccessToken, openClaimWindow, parseAnnouncement, releaseByName, type ClaimWindowDeps,
} from '../../claiming/claim-window.js';
import { addIpDevice, addIpDevices, listIpDevices, rotateAccessToken, toIpDeviceView, type IpDeviceAdminDeps } from '../../claiming/manage-ip-devices.js';
import { InvalidInputError } from '../../shared/errors.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';

/** Largest claim request a device may send, bytes. */
const DEVICE_BODY_LIMIT = 8 * 1024;

/** A JSON body, or undefined when there is none; anything else is a clear 400. */
function lenientJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('the body is not valid JSON; send {"secretKey":"…","durationMs":60000} or nothing');
  }
}

/**
 * ThingsBoard-compatible device claiming over HTTP: the device side (`POST
 * /api/v1/{accessToken}/claim`), the customer side (`POST`/`DELETE
 * /api/customer/device/{deviceName}/claim`), and the management of IP devices (`/api/v1/ip-devices`).
 */
export async function deviceWindowRoutes(app: FastifyInstance, deps: ClaimWindowDeps & IpDeviceAdminDeps & { auth: Authenticator }): Promise<void> {
  // Devices and ThingsBoard tools send JSON with any (or no) content type, or no body at all.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: DEVICE_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, lenientJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post('/api/v1/:accessToken/claim', {
    bodyLimit: DEVICE_BODY_LIMIT,
    schema: {
      summary: 'A device opens its claim window: {secretKey, durationMs} (both optional)', tags: ['device claiming'],
      params: Type.Object({ accessToken: Type.String() }),
    },
  }, async (request) => {
    const device = await deviceByAccessToken(deps, (request.params as { accessToken: string }).accessToken);
    const { expiresAt } = await openClaimWindow(deps, device, parseAnnouncement(request.body, deps.settings));
    return { result: 'OK', expiresAt: expiresAt.toISOString() };
  });

  const owner = requireAccount(deps.auth, ['owner', 'admin'], 'claims:write');
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/json').send(JSON.stringify(body));

  app.post('/api/customer/device/:deviceName/claim', {
    preHandler: owner,
    bodyLimit: DEVICE_BODY_LIMIT,
    schema: {
      summary: 'Claim a device by name with the secret of its open window (ThingsBoard customer claim)', tags: ['device claiming'],
      security: routeSecurity('claims:write'), params: Type.Object({ deviceName: Type.String() }),
    },
  }, async (request: FastifyRequest, reply) => {
    const outcome = await claimByName(deps, authenticatedAccount(request), (request.params as { deviceName: string }).deviceName, request.body);
    if (outcome.outcome === 'SUCCESS') return send(reply, 200, { response: 'SUCCESS', device: toIpDeviceView(outcome.device) });
    return send(reply, 400, outcome.outcome);
  });

  app.delete('/api/customer/device/:deviceName/claim', {
    preHandler: owner,
    schema: {
      summary: 'Release a device claimed by name (its holder or an admin)', tags: ['device claiming'],
      security: routeSecurity('claims:write'), params: Type.Object({ deviceName: Type.String() }),
    },
  }, async (request) => toIpDeviceView(await releaseByName(deps, authenticatedAccount(request), (request.params as { deviceName: string }).deviceName)));

  const makers = requireAccount(deps.auth, ['admin', 'provisioner'], 'devices:write');
  const readers = requireAccount(deps.auth, ['admin', 'provisioner'], 'devices:read');
  const tags = ['ip devices'];

  app.post('/api/v1/ip-devices', {
    preHandler: makers,
    schema: {
      summary: 'Create an IP device; its access token is in this answer only', tags, security: routeSecurity('devices:write'),
    },
  }, async (request, reply) => reply.code(201).send(await addIpDevice(deps, authenticatedAccount(request), (request.body ?? {}) as Record<string, unknown>)));

  app.post('/api/v1/ip-devices/bulk', {
    preHandler: makers,
    bodyLimit: 4 * 1024 * 1024,
    schema: { summary: 'Create many IP devices: {rows: [{name, claimingAllowed?}]}; one result per row', tags, security: routeSecurity('devices:write') },
  }, async (request) => {
    const body = request.body as { rows?: unknown } | undefined;
    if (body === undefined || !Array.isArray(body.rows)) throw new InvalidInputError('rows: expected an array of {"name": …}', 'rows');
    return { results: await addIpDevices(deps, authenticatedAccount(request), body.rows) };
  });

  app.get('/api/v1/ip-devices', {
    preHandler: readers,
    schema: { summary: 'Your IP devices by name', tags, security: routeSecurity('devices:read') },
  }, async (request) => listIpDevices(deps, authenticatedAccount(request), request.query as { limit?: string; after?: string }));

  app.post('/api/v1/ip-devices/:id/access-token', {
    preHandler: makers,
    schema: { summary: 'Rotate an IP device\'s access token (the old one stops working)', tags, security: routeSecurity('devices:write') },
  }, async (request) => rotateAccessToken(deps, authenticatedAccount(request), (request.params as { id: string }).id));
}

/** A new random id for an IP device. */
export const newIpDeviceId = (): string => randomUUID();
