/**
 * The HTTP ceiling of the join benchmark: a bare Fastify server with one route, `POST /api/bi`,
 * that reads the body the way Deed's BI endpoint does (as text, any content type), JSON-parses
 * it, and answers a JoinAns of the same shape and size as Deed's (the templates are real answers
 * Deed gave, passed in BENCH_CEILING_TEMPLATES) — and nothing else: no authentication, no
 * database, no cryptography.
 *
 * Listens on 127.0.0.1 (port BENCH_CEILING_PORT, or any) and prints
 * "ceiling listening on http://127.0.0.1:<port>" to stderr. With BENCH_CEILING_WORKERS=N (N > 1)
 * it runs N such processes sharing the port through node:cluster, as `deed serve` does with
 * DEED_WORKERS=N, so that the ceiling stays comparable.
 */
import cluster from 'node:cluster';
import Fastify from 'fastify';

interface Templates {
  /** The fields of a 1.0.x JoinAns between the header and `Result`. */
  readonly v10: Record<string, unknown>;
  /** The same for a 1.1 JoinAns. */
  readonly v11: Record<string, unknown>;
}

const templates = JSON.parse(process.env['BENCH_CEILING_TEMPLATES'] ?? 'null') as Templates | null;
if (templates === null) {
  process.stderr.write('ceiling-server: BENCH_CEILING_TEMPLATES is not set\n');
  process.exit(2);
}
const workers = Number(process.env['BENCH_CEILING_WORKERS'] ?? '1');

if (cluster.isPrimary && workers > 1) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    worker.on('message', (message: { address?: unknown }) => {
      if (typeof message.address === 'string' && ++listening === workers) {
        process.stderr.write(`ceiling listening on ${message.address} (${workers} processes)\n`);
      }
    });
  }
  let stopping = false;
  cluster.on('exit', (_worker, code) => {
    if (!stopping && code !== 0) process.exit(1);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  const stopAll = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stopAll);
  process.on('SIGINT', stopAll);
} else {
  serve(templates);
}

function serve(answers: Templates): void {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 32 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/api/bi', async (request, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      body = null;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return reply.code(400).type('application/problem+json').send({ status: 400, code: 'malformed_envelope' });
    }
    const b = body as Record<string, unknown>;
    return reply.code(200).type('application/json').send({
      ProtocolVersion: b['ProtocolVersion'],
      TransactionID: b['TransactionID'],
      MessageType: 'JoinAns',
      SenderID: b['ReceiverID'],
      ReceiverID: b['SenderID'],
      ...(b['MACVersion'] === '1.1' ? answers.v11 : answers.v10),
      Result: { ResultCode: 'Success' },
    });
  });

  const stop = () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const port = Number(process.env['BENCH_CEILING_PORT'] ?? '0');
  app.listen({ host: '127.0.0.1', port }).then(
    (address) => {
      if (cluster.isWorker) process.send?.({ address });
      else process.stderr.write(`ceiling listening on ${address}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`ceiling-server: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
