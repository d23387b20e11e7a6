import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import type { AuditLog } from '../../audit/audit-event.js';
import {
  addDevice, changeOwnerToken, exportRootKeys, getDevice, listDevices, removeDevice, updateDevice, type DeviceAdminDeps,
} from '../../devices/manage-devices.js';
import { deviceAuditTrail } from '../../devices/device-audit.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { AddDeviceSchema, DeviceViewSchema, OwnerTokenSchema, UpdateDeviceSchema, errorResponses } from './schemas.js';

const DevEuiParams = Type.Object({ devEui: Type.String({ description: 'DevEUI, 16 hex digits' }) });
const NoncesQuery = Type.Object({ nonces: Type.Optional(Type.String({ description: '`true` to include nextJoinNonce, usedDevNonces and lastDevNonce' })) });

const flag = (value: string | undefined): boolean => value === 'true' || value === '1';

/**
 * Devices: `/api/v1/devices`. Every account sees its own: an admin all of them, a provisioner
 * its inventory, an owner the devices claimed into its applications; anything else answers 404.
 */
export async function deviceRoutes(
  app: FastifyInstance, deps: DeviceAdminDeps & { auth: Authenticator; auditLog: Pick<AuditLog, 'list'> },
): Promise<void> {
  const everyone = ['admin', 'provisioner', 'owner'] as const;
  const read = { preHandler: requireAccount(deps.auth, everyone, 'devices:read'), security: routeSecurity('devices:read') };
  const write = { preHandler: requireAccount(deps.auth, everyone, 'devices:write'), security: routeSecurity('devices:write') };
  const makers = { preHandler: requireAccount(deps.auth, ['admin', 'provisioner'], 'devices:write'), security: routeSecurity('devices:write') };
  const exporters = {
    preHandler: requireAccount(deps.auth, ['admin', 'provisioner'], 'devices:export-keys'), security: routeSecurity('devices:export-keys'),
  };
  const tags = ['devices'];
  const params = (request: { params: unknown }) => (request.params as { devEui: string }).devEui;

  app.get('/api/v1/devices', {
    preHandler: read.preHandler,
    schema: {
      summary: 'List your devices, ordered by DevEUI', tags, security: read.security,
      querystring: Type.Object({
        limit: Type.Optional(Type.String({ description: '1-1000, default 100' })),
        after: Type.Optional(Type.String({ description: 'the `next` cursor of the previous page' })),
        state: Type.Optional(Type.String({ description: 'unclaimed, claimed, exposed or keys_missing' })),
        search: Type.Optional(Type.String({ description: 'a DevEUI prefix or part of a name' })),
        nonces: Type.Optional(Type.String()),
      }),
      response: {
        200: Type.Object({ devices: Type.Array(DeviceViewSchema), next: Type.Union([Type.String(), Type.Null()]), total: Type.Integer() }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const q = request.query as { limit?: string; after?: string; state?: string; search?: string; nonces?: string };
    return listDevices(deps, authenticatedAccount(request), { ...q, nonces: flag(q.nonces) });
  });

  app.post('/api/v1/devices', {
    preHandler: makers.preHandler,
    schema: {
      summary: 'Register a device (with its root keys, if you have them) into your inventory', tags, security: makers.security,
      body: AddDeviceSchema, response: { 201: DeviceViewSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(await addDevice(deps, authenticatedAccount(request), request.body as Record<string, unknown>)));

  app.get('/api/v1/devices/:devEui', {
    preHandler: read.preHandler,
    schema: {
      summary: 'Show a device (never its keys)', tags, security: read.security, params: DevEuiParams, querystring: NoncesQuery,
      response: { 200: DeviceViewSchema, ...errorResponses },
    },
  }, async (request) => getDevice(deps, authenticatedAccount(request), params(request), { nonces: flag((request.query as { nonces?: string }).nonces) }));

  app.patch('/api/v1/devices/:devEui', {
    preHandler: write.preHandler,
    schema: {
      summary: 'Change activation settings or the name', tags, security: write.security, params: DevEuiParams, body: UpdateDeviceSchema,
      response: { 200: DeviceViewSchema, ...errorResponses },
    },
  }, async (request) => updateDevice(deps, authenticatedAccount(request), params(request), request.body as Record<string, unknown>));

  app.delete('/api/v1/devices/:devEui', {
    preHandler: makers.preHandler,
    schema: {
      summary: 'Remove a device, its keys and sessions', tags, security: makers.security, params: DevEuiParams,
      response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    await removeDevice(deps, authenticatedAccount(request), params(request));
    return reply.code(204).send();
  });

  app.post('/api/v1/devices/:devEui/root-keys', {
    preHandler: exporters.preHandler,
    schema: {
      summary: 'Export the root keys: marks the device rootKeysExposed, permanently, and records who and when',
      tags, security: exporters.security, params: DevEuiParams, querystring: NoncesQuery,
      response: { 200: DeviceViewSchema, ...errorResponses },
    },
  }, async (request) => exportRootKeys(deps, authenticatedAccount(request), params(request), { nonces: flag((request.query as { nonces?: string }).nonces) }));

  app.get('/api/v1/devices/:devEui/audit', {
    preHandler: read.preHandler,
    schema: {
      summary: 'The audit trail of one of your devices (its holder sees what happened since its claim)', tags, security: read.security,
      params: DevEuiParams,
      querystring: Type.Object({ afterSeq: Type.Optional(Type.String()), limit: Type.Optional(Type.String()) }),
    },
  }, async (request) => deviceAuditTrail({ ...deps, audit: deps.auditLog }, authenticatedAccount(request), params(request), request.query as { afterSeq?: string; limit?: string }));

  app.put('/api/v1/devices/:devEui/owner-token', {
    preHandler: write.preHandler,
    schema: {
      summary: 'Set or regenerate the owner token (claim authentication code) and its validity window',
      tags, security: write.security, params: DevEuiParams, body: OwnerTokenSchema,
      response: { 200: DeviceViewSchema, ...errorResponses },
    },
  }, async (request) => changeOwnerToken(deps, authenticatedAccount(request), params(request), request.body as Record<string, unknown>));
}
