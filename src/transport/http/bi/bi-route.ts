import type { FastifyInstance } from 'fastify';
import type { JoinServerDeps } from '../../../joinserver/index.js';
import type { Metrics } from '../metrics.js';
import { peerCredentialsOf } from '../peer-auth.js';
import { answerBiRequest, BI_BODY_LIMIT } from './bi-exchange.js';

/**
 * `POST /api/bi`: every BI 1.0/1.1 message (`answerBiRequest`). Every answer, errors included,
 * is HTTP 200 with a `Result`; only a body that is not a JSON object gets a plain HTTP 400 (and
 * an oversized one 413). On the plain-HTTP listener `bi-fast-path.ts` answers these requests
 * before Fastify sees them, identically; this route serves the HTTPS listener (client
 * certificates) and `inject`.
 */
export async function biRoutes(app: FastifyInstance, deps: { joinServer: JoinServerDeps; metrics: Metrics }): Promise<void> {
  // Network Servers differ in the Content-Type they send: read every body as text and parse it here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BI_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post('/api/bi', {
    bodyLimit: BI_BODY_LIMIT,
    schema: {
      summary: 'LoRaWAN Backend Interfaces (TS002 1.0 and 1.1): JoinReq, AppSKeyReq, HomeNSReq',
      tags: ['backend-interfaces'],
      consumes: ['application/json'],
    },
  }, async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body : '';
    const answer = await answerBiRequest({ ...deps, log: request.log }, text, peerCredentialsOf(request));
    return reply.code(answer.statusCode).type(answer.contentType).send(answer.body);
  });
}
