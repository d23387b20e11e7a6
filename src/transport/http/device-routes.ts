import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { addDevice, getDevice, listDevices, removeDevice, updateDevice, type DeviceAdminDeps } from '../../devices/manage-devices.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { AddDeviceSchema, DeviceViewSchema, UpdateDeviceSchema, errorResponses } from './schemas.js';

const DevEuiParams = Type.Object({ devEui: Type.String({ description: 'DevEUI, 16 hex digits' }) });

/** Device registry: `/api/v1/devices`. Admin only for now; API keys need `devices:read` or `devices:write`. */
export async function deviceRoutes(app: FastifyInstance, deps: DeviceAdminDeps & { auth: Authenticator }): Promise<void> {
  const read = { preHandler: requireAccount(deps.auth, ['admin'], 'devices:read'), security: routeSecurity('devices:read') };
  const write = { preHandler: requireAccount(deps.auth, ['admin'], 'devices:write'), security: routeSecurity('devices:write') };
  const tags = ['devices'];

  app.get('/api/v1/devices', {
    preHandler: read.preHandler,
    schema: {
      summary: 'List devices, ordered by DevEUI', tags, security: read.security,
      querystring: Type.Object({ limit: Type.Optional(Type.String()), after: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ devices: Type.Array(DeviceViewSchema), next: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query as { limit?: string; after?: string };
    return listDevices(deps, q);
  });

  app.post('/api/v1/devices', {
    preHandler: write.preHandler,
    schema: { summary: 'Register a device with its root keys', tags, security: write.security, body: AddDeviceSchema, response: { 201: DeviceViewSchema, ...errorResponses } },
  }, async (request, reply) => reply.code(201).send(await addDevice(deps, authenticatedAccount(request).username, request.body as Record<string, unknown>)));

  app.get('/api/v1/devices/:devEui', {
    preHandler: read.preHandler,
    schema: { summary: 'Show a device (never its keys)', tags, security: read.security, params: DevEuiParams, response: { 200: DeviceViewSchema, ...errorResponses } },
  }, async (request) => getDevice(deps, (request.params as { devEui: string }).devEui));

  app.patch('/api/v1/devices/:devEui', {
    preHandler: write.preHandler,
    schema: { summary: 'Change activation settings', tags, security: write.security, params: DevEuiParams, body: UpdateDeviceSchema, response: { 200: DeviceViewSchema, ...errorResponses } },
  }, async (request) => updateDevice(deps, (request.params as { devEui: string }).devEui, request.body as Record<string, unknown>));

  app.delete('/api/v1/devices/:devEui', {
    preHandler: write.preHandler,
    schema: { summary: 'Remove a device, its keys and sessions', tags, security: write.security, params: DevEuiParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await removeDevice(deps, authenticatedAccount(request).username, (request.params as { devEui: string }).devEui);
    return reply.code(204).send();
  });
}
