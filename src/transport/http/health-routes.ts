import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** `/healthz` (the process answers), `/readyz` (storage answers), `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, deps: { metrics: Metrics; ping(): Promise<void> }): Promise<void> {
  const tags = ['operations'];
  app.get('/healthz', { schema: { summary: 'Liveness', tags } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the database answers', tags } }, async (request, reply) => {
    try {
      await deps.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', detail: 'the database does not answer' });
    }
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags } }, async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.exposition()));
}
