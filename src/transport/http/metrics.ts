import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics Deed exports at /metrics. One registry per server, no globals. */
export interface Metrics {
  readonly registry: Registry;
  /** What `/metrics` answers: this registry's metrics, or every worker's together under DEED_WORKERS. */
  exposition(): Promise<string>;
  /** JoinReqs answered, by BI ResultCode. */
  readonly joins: Counter<'result'>;
  /** Time to answer a JoinReq, seconds, by ResultCode. */
  readonly joinDuration: Histogram<'result'>;
  /** Every BI message answered, by MessageType and ResultCode. */
  readonly biMessages: Counter<'message_type' | 'result'>;
}

/**
 * The server's metrics. In a worker of several (`cluster`), the primary gathers this registry
 * from every worker (prom-client's AggregatorRegistry: counters and histograms are summed), and
 * `exposition` asks it for the sum.
 */
export function createMetrics(options: { cluster?: { gather(): Promise<string> } } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'deed_' });
  const { cluster } = options;
  if (cluster !== undefined) {
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
  }
  return {
    registry,
    exposition: cluster !== undefined ? () => cluster.gather() : () => registry.metrics(),
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
