import { JoinServerError, type JoinServerDeps } from '../../../joinserver/index.js';
import type { Metrics } from '../metrics.js';
import { authenticatePeer, type PeerCredentials } from '../peer-auth.js';
import { problem } from '../problem.js';
import { answerHeader, readEnvelope } from './bi-envelope.js';
import { BI_ANSWER_TYPES, answerBiMessage } from './bi-messages.js';
import { biResultCode } from './bi-result-code.js';

/** Backend Interfaces bodies are small; anything larger is refused before it is parsed. */
export const BI_BODY_LIMIT = 32 * 1024;

/** What answering a BI request needs. */
export interface BiExchangeDeps {
  readonly joinServer: JoinServerDeps;
  readonly metrics: Metrics;
  readonly log: { error(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/** An HTTP answer, ready to write. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** A problem+json answer (the REST API's error format). */
export function problemAnswer(statusCode: number, code: string, detail: string): HttpAnswer {
  return { statusCode, contentType: PROBLEM_TYPE, body: JSON.stringify(problem(statusCode, code, detail)) };
}

/**
 * Answers one `POST /api/bi` body (every BI 1.0/1.1 message), whichever HTTP stack carried it:
 * every answer, errors included, is HTTP 200 with a `Result`; only a body that is not a JSON
 * object gets a plain HTTP 400. Counts the message in the metrics.
 */
export async function answerBiRequest(deps: BiExchangeDeps, text: string, credentials: PeerCredentials): Promise<HttpAnswer> {
  const started = process.hrtime.bigint();
  const read = readEnvelope(text);
  if (read === null) {
    return problemAnswer(400, 'malformed_envelope', 'the body is not a JSON object: expected a LoRaWAN Backend Interfaces message');
  }
  const { envelope, problem: headerProblem } = read;
  const { header } = envelope;
  const answerType = BI_ANSWER_TYPES[header.MessageType] ?? 'ErrorNotification';
  let fields: Record<string, unknown> = {};
  let result: { ResultCode: string; Description?: string };
  try {
    const caller = await authenticatePeer(credentials, deps.joinServer.peers);
    if (caller === null) throw new JoinServerError('unknown_sender', 'no peer is registered for these credentials');
    if (headerProblem !== null) throw new JoinServerError('malformed_message', headerProblem);
    fields = await answerBiMessage(deps.joinServer, caller, envelope);
    result = { ResultCode: 'Success' };
  } catch (err) {
    if (err instanceof JoinServerError) {
      result = { ResultCode: biResultCode(err.code, header.ProtocolVersion), Description: err.message };
    } else {
      deps.log.error({ err: { name: (err as Error).name, code: (err as { code?: unknown }).code, message: (err as Error).message } }, 'Backend Interfaces request failed');
      result = { ResultCode: 'Other', Description: 'internal error; see the Join Server log' };
    }
  }
  deps.metrics.biMessages.inc({ message_type: header.MessageType.slice(0, 32) || 'none', result: result.ResultCode });
  if (header.MessageType === 'JoinReq') {
    deps.metrics.joins.inc({ result: result.ResultCode });
    deps.metrics.joinDuration.observe({ result: result.ResultCode }, Number(process.hrtime.bigint() - started) / 1e9);
  }
  deps.log.debug({ messageType: header.MessageType, senderId: header.SenderID, result: result.ResultCode }, 'bi');
  // The header, then the message's fields, then Result; assigned, not spread (see answerHeader).
  const answer = Object.assign(answerHeader(header, answerType), fields);
  answer['Result'] = result;
  return { statusCode: 200, contentType: JSON_TYPE, body: JSON.stringify(answer) };
}
