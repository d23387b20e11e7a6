import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { claimDeviceRecord, type ClaimDeps } from '../../../claiming/claim-device.js';
import type { Claimant } from '../../../claiming/claimant.js';
import { claimStatus, releaseDevice } from '../../../claiming/release-device.js';
import type { PeerRecord, PeerStore } from '../../../peers/peer.js';
import { ForbiddenError, UnauthorizedError } from '../../../shared/errors.js';
import { authenticatePeer, peerCredentialsOf } from '../peer-auth.js';
import { claimInputFromTtjs, TtjsClaimBodySchema, type TtjsClaimBody } from './ttjs-claim-body.js';
import { TTJS_MESSAGE, ttjsErrorAnswer, ttjsOperation } from './ttjs-errors.js';

/** What the TTJS claim API calls. */
export interface TtjsRouteDeps {
  readonly claims: ClaimDeps;
  /** Claim clients are Application Server peers, found like Backend Interfaces peers. */
  readonly peers: PeerStore;
}

/** Claim bodies are a few hundred bytes. */
export const TTJS_BODY_LIMIT = 16 * 1024;
/** Most DevEUIs one batch unclaim takes (the request line limits it to about 900 anyway). */
export const MAX_BATCH_UNCLAIM = 1000;

const DEV_EUI = /^[0-9A-Fa-f]{16}$/;
const Message = Type.Object({ message: Type.String() }, { additionalProperties: false });
const errors = { 400: Message, 401: Message, 403: Message, 404: Message, 429: Message };
const DevEuiParams = Type.Object({
  devEUI: Type.String({ pattern: '^[0-9A-Fa-f]{16}$', description: '16 hex digits (any case)' }),
});
const StatusSchema = Type.Object({
  homeNetID: Type.Optional(Type.String()),
  homeNSID: Type.Optional(Type.String({ description: 'Omitted when unset' })),
  locked: Type.Boolean(),
}, { additionalProperties: false });

/** The authenticated claim client of each request. */
const clients = new WeakMap<FastifyRequest, PeerRecord>();

function claimant(request: FastifyRequest): Claimant {
  const peer = clients.get(request);
  // The onRequest hook ran for every route of this plugin; this is a programming error.
  if (peer === undefined) throw new UnauthorizedError();
  return { kind: 'client', peer };
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // Pre-serialised: the answer is exactly this JSON, whatever a response schema says.
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The Things Join Server claim API v2 (spec/ttjs-claim-api.md), for The Things Stack's Device
 * Claiming Server and other claim clients: claim, claim status, unclaim, batch unclaim. Register
 * under the prefix `/api/v2`. A caller is a claim client: an Application Server peer registered
 * with an application (`deed peer add --as-id A --application ID`), authenticated by its TLS
 * client certificate (HTTPS listener) or bearer token. It answers in the contract's own format —
 * every error is `{"message": "…"}` (ttjs-errors.ts), never problem JSON — so this plugin has its
 * own body parser, error handler and not-found handler.
 */
export async function ttjsRoutes(app: FastifyInstance, deps: TtjsRouteDeps): Promise<void> {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  // The Things Stack sends application/json; read every body as JSON whatever its type says.
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: TTJS_BODY_LIMIT }, (request, body, done) => {
    if (body === '' && request.method !== 'PUT') {
      done(null, undefined);
      return;
    }
    json(request, body as string, done);
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = ttjsErrorAnswer(error, ttjsOperation(request.method));
    if (answer.status >= 500) {
      const e = error as { name?: unknown; message?: unknown; code?: unknown };
      request.log.error({ err: { name: e.name, message: e.message, code: e.code } }, 'TTJS claim API request failed');
    }
    if (answer.status === 401) void reply.header('www-authenticate', 'Bearer realm="deed"');
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return sendJson(reply, answer.status, { message: answer.message });
  });
  app.setNotFoundHandler((_request, reply) => sendJson(reply, 404, { message: TTJS_MESSAGE.notFound }));

  // Authenticate before the body is read: strangers learn nothing, not even about their JSON.
  app.addHook('onRequest', async (request) => {
    const peer = await authenticatePeer(peerCredentialsOf(request), deps.peers);
    if (peer === null) throw new UnauthorizedError();
    if (peer.kind !== 'as' || peer.applicationId === null) {
      throw new ForbiddenError(`peer ${peer.id} is not a claim client (an Application Server registered with --application)`);
    }
    clients.set(request, peer);
  });

  const tags = ['ttjs-claim-api'];
  const security = [{ peerToken: [] }];
  const context = (request: FastifyRequest) => ({ via: 'ttjs', source: request.ip });

  app.put('/devices/:devEUI/claim', {
    schema: {
      summary: 'Claim a device (The Things Join Server claim API); 201 on success', tags, security,
      params: DevEuiParams, body: TtjsClaimBodySchema, response: { 201: Type.Null(), ...errors },
    },
  }, async (request, reply) => {
    const { devEUI } = request.params as { devEUI: string };
    await claimDeviceRecord(deps.claims, claimant(request), claimInputFromTtjs(devEUI, request.body as TtjsClaimBody), context(request));
    return reply.code(201).send();
  });

  app.get('/devices/:devEUI/claim', {
    schema: {
      summary: 'Claim status of a device this client holds', tags, security,
      params: DevEuiParams, response: { 200: StatusSchema, ...errors },
    },
  }, async (request, reply) => {
    const status = await claimStatus(deps.claims, claimant(request), (request.params as { devEUI: string }).devEUI);
    // In the contract's member order: homeNetID, homeNSID, locked.
    return sendJson(reply, 200, {
      ...(status.homeNetId !== null ? { homeNetID: status.homeNetId } : {}),
      ...(status.homeNsId !== null ? { homeNSID: status.homeNsId } : {}),
      locked: status.locked,
    });
  });

  app.delete('/devices/:devEUI/claim', {
    schema: {
      summary: 'Unclaim a device this client holds (it gets a new owner token)', tags, security,
      params: DevEuiParams, response: { 200: Type.Null(), ...errors },
    },
  }, async (request, reply) => {
    await releaseDevice(deps.claims, claimant(request), (request.params as { devEUI: string }).devEUI, {}, context(request));
    return reply.code(200).send();
  });

  app.delete('/devices/:devEUIs/claims', {
    schema: {
      summary: `Unclaim up to ${MAX_BATCH_UNCLAIM} devices (comma-separated DevEUIs); 204 when all succeeded, else 400 with a message per failed DevEUI`,
      tags, security,
      params: Type.Object({ devEUIs: Type.String({ description: 'DevEUIs separated by commas' }) }),
      response: {
        204: Type.Null(),
        400: Type.Union([Message, Type.Record(Type.String(), Message)]),
        401: Message, 403: Message, 429: Message,
      },
    },
  }, async (request, reply) => {
    const list = (request.params as { devEUIs: string }).devEUIs.split(',');
    if (list.length > MAX_BATCH_UNCLAIM) return sendJson(reply, 400, { message: TTJS_MESSAGE.invalidRequest });
    const failed = new Map<string, { message: string }>();
    const who = claimant(request);
    for (const devEui of new Set(list.map((d) => d.toUpperCase()))) {
      if (!DEV_EUI.test(devEui)) {
        failed.set(devEui, { message: TTJS_MESSAGE.invalidDevEui });
        continue;
      }
      try {
        await releaseDevice(deps.claims, who, devEui, {}, context(request));
      } catch (error) {
        const answer = ttjsErrorAnswer(error, 'unclaim');
        if (answer.status >= 500) throw error;
        failed.set(devEui, { message: answer.message });
      }
    }
    return failed.size === 0 ? reply.code(204).send() : sendJson(reply, 400, Object.fromEntries(failed));
  });
}
