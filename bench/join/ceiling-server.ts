/**
 * The HTTP ceiling of the join benchmark: a bare Fastify server with one route, `POST /api/bi`,
 * that reads the body the way Deed's BI endpoint does (as text, any content type), JSON-parses
 * it, and answers a JoinAns of the same shape and size as Deed's (the templates are real answers
 * Deed gave, passed in BENCH_CEILING_TEMPLATES) — and nothing else: no authentication, no
 * database, no cryptography.
 *
 * Listens on 127.0.0.1 (port BENCH_CEILING_PORT, or any) and prints
 * "ceiling listening on http://127.0.0.1:<port>" to stderr.
 */
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
    ...(b['MACVersion'] === '1.1' ? templates.v11 : templates.v10),
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
  (address) => process.stderr.write(`ceiling listening on ${address}\n`),
  (err: unknown) => {
    process.stderr.write(`ceiling-server: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
