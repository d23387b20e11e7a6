import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { answerBiRequest, BI_BODY_LIMIT, problemAnswer, type BiExchangeDeps, type HttpAnswer } from './bi-exchange.js';

/**
 * `POST /api/bi` straight from node:http, in front of Fastify on the plain-HTTP listener: the
 * same answers as the Fastify route (`answerBiRequest`; the same 400 and 413 problems), without
 * Fastify's request and reply objects, routing, hooks and per-request child logger — about 10 %
 * of a join's CPU (docs/performance.md). Everything else, and every request once the server is
 * closing (Fastify then answers 503), goes to `fallback`, Fastify's own listener.
 */
export function createBiFastPath(deps: BiExchangeDeps, fallback: RequestListener, closing: () => boolean): RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' || !isBiPath(req.url) || closing()) {
      fallback(req, res);
      return;
    }
    readAndAnswer(deps, req, res);
  };
}

function isBiPath(url: string | undefined): boolean {
  return url === '/api/bi' || (url !== undefined && url.startsWith('/api/bi?'));
}

const TOO_LARGE = problemAnswer(413, 'payload_too_large', 'Request body is too large');

function readAndAnswer(deps: BiExchangeDeps, req: IncomingMessage, res: ServerResponse): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > BI_BODY_LIMIT) {
    send(res, TOO_LARGE, true);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > BI_BODY_LIMIT) {
      // A chunked body past the limit: answered now, and the connection closed behind the answer.
      refused = true;
      chunks.length = 0;
      send(res, TOO_LARGE, true);
      return;
    }
    chunks.push(chunk);
  });
  // A client that goes away mid-body is simply not answered.
  req.on('error', () => undefined);
  req.on('end', () => {
    if (refused) return;
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
    answerBiRequest(deps, text, { authorization: req.headers.authorization, socket: req.socket }).then(
      (answer) => send(res, answer, false),
      (error: unknown) => {
        deps.log.error({ err: { name: (error as Error).name, message: (error as Error).message } }, 'request failed');
        send(res, problemAnswer(500, 'internal', 'internal error; see the server log'), false);
      },
    );
  });
}

function send(res: ServerResponse, answer: HttpAnswer, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = answer.statusCode;
  res.setHeader('content-type', answer.contentType);
  res.setHeader('content-length', Buffer.byteLength(answer.body));
  if (close) res.setHeader('connection', 'close');
  res.end(answer.body);
}
