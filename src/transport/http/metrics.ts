import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics Deed exports at /metrics. One registry per server, no globals. */
export interface Metrics {
  readonly registry: Registry;
  /** JoinReqs answered, by BI ResultCode. */
  readonly joins: Counter<'result'>;
  /** Time to answer a JoinReq, seconds, by ResultCode. */
  readonly joinDuration: Histogram<'result'>;
  /** Every BI message answered, by MessageType and ResultCode. */
  readonly biMessages: Counter<'message_type' | 'result'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'deed_' });
  return {
    registry,
    joins: new Counter({ name: 'deed_joins_total', help: 'JoinReqs answered, by BI ResultCode', labelNames: ['result'], registers: [registry] }),
    joinDuration: new Histogram({
      name: 'deed_join_duration_seconds',
      help: 'Time to answer a JoinReq, by BI ResultCode',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    biMessages: new Counter({
      name: 'deed_bi_messages_total',
      help: 'Backend Interfaces messages answered, by MessageType and ResultCode',
      labelNames: ['message_type', 'result'],
      registers: [registry],
    }),
  };
}
