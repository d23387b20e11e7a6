import type { FastifyInstance } from 'fastify';
import { JoinServerError, type JoinServerDeps } from '../../../joinserver/index.js';
import type { Metrics } from '../metrics.js';
import { authenticatePeer } from '../peer-auth.js';
import { problem } from '../problem.js';
import { answerHeader, readEnvelope } from './bi-envelope.js';
import { BI_ANSWER_TYPES, answerBiMessage } from './bi-messages.js';
import { biResultCode } from './bi-result-code.js';

/** Backend Interfaces bodies are small; anything larger is refused before it is parsed. */
export const BI_BODY_LIMIT = 32 * 1024;

/**
 * `POST /api/bi`: every BI 1.0/1.1 message. Every answer, errors included, is HTTP 200 with a
 * `Result`; only a body that is not a JSON object gets a plain HTTP 400 (and an oversized one 413).
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
    const started = process.hrtime.bigint();
    const read = readEnvelope(typeof request.body === 'string' ? request.body : '');
    if (read === null) {
      return reply.code(400).type('application/problem+json')
        .send(problem(400, 'malformed_envelope', 'the body is not a JSON object: expected a LoRaWAN Backend Interfaces message'));
    }
    const { envelope, problem: headerProblem } = read;
    const { header } = envelope;
    const answerType = BI_ANSWER_TYPES[header.MessageType] ?? 'ErrorNotification';
    let fields: Record<string, unknown> = {};
    let result: { ResultCode: string; Description?: string };
    try {
      const caller = await authenticatePeer(request, deps.joinServer.peers);
      if (caller === null) throw new JoinServerError('unknown_sender', 'no peer is registered for these credentials');
      if (headerProblem !== null) throw new JoinServerError('malformed_message', headerProblem);
      fields = await answerBiMessage(deps.joinServer, caller, envelope);
      result = { ResultCode: 'Success' };
    } catch (err) {
      if (err instanceof JoinServerError) {
        result = { ResultCode: biResultCode(err.code, header.ProtocolVersion), Description: err.message };
      } else {
        request.log.error({ err: { name: (err as Error).name, code: (err as { code?: unknown }).code, message: (err as Error).message } }, 'Backend Interfaces request failed');
        result = { ResultCode: 'Other', Description: 'internal error; see the Join Server log' };
      }
    }
    deps.metrics.biMessages.inc({ message_type: header.MessageType.slice(0, 32) || 'none', result: result.ResultCode });
    if (header.MessageType === 'JoinReq') {
      deps.metrics.joins.inc({ result: result.ResultCode });
      deps.metrics.joinDuration.observe({ result: result.ResultCode }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    request.log.debug({ messageType: header.MessageType, senderId: header.SenderID, result: result.ResultCode }, 'bi');
    return reply.code(200).type('application/json').send({ ...answerHeader(header, answerType), ...fields, Result: result });
  });
}
