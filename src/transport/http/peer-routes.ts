import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { addPeer, getPeer, listPeers, removePeer, type PeerAdminDeps } from '../../peers/manage-peers.js';
import { requireAccount, routeSecurity } from './account-auth.js';
import { AddPeerSchema, PeerViewSchema, errorResponses } from './schemas.js';

const IdParams = Type.Object({ id: Type.String({ description: 'Peer id: ns:<NetID>[:<NSID>] or as:<AS-ID>' }) });

/** Backend Interfaces peers: `/api/v1/peers`. Admin only; API keys need `peers:admin`. */
export async function peerRoutes(app: FastifyInstance, deps: PeerAdminDeps & { auth: Authenticator }): Promise<void> {
  const preHandler = requireAccount(deps.auth, ['admin'], 'peers:admin');
  const security = routeSecurity('peers:admin');
  const tags = ['peers'];

  app.get('/api/v1/peers', {
    preHandler, schema: { summary: 'List Network and Application Server peers', tags, security, response: { 200: Type.Array(PeerViewSchema), ...errorResponses } },
  }, async () => listPeers(deps));

  app.post('/api/v1/peers', {
    preHandler,
    schema: {
      summary: 'Register a Network Server (netId) or Application Server (asId) peer', tags, security,
      body: AddPeerSchema, response: { 201: PeerViewSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(await addPeer(deps, request.body as Record<string, unknown>)));

  app.get('/api/v1/peers/:id', {
    preHandler, schema: { summary: 'Show a peer', tags, security, params: IdParams, response: { 200: PeerViewSchema, ...errorResponses } },
  }, async (request) => getPeer(deps, (request.params as { id: string }).id));

  app.delete('/api/v1/peers/:id', {
    preHandler, schema: { summary: 'Remove a peer', tags, security, params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await removePeer(deps, (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
