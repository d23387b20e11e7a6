import cluster from 'node:cluster';
import { WORKER_INDEX_ENV, isMetricsMessage, type MetricsRequest, type ReadyMessage } from './messages.js';

/** What a worker process of `deed serve` (DEED_WORKERS > 1) knows about its place. */
export interface WorkerRole {
  /** 1..count; a worker started again after a crash keeps its index. */
  readonly index: number;
  readonly count: number;
  /** Prometheus text of every worker's metrics together, gathered by the primary. */
  clusterMetrics(): Promise<string>;
  /** Tells the primary this worker listens. */
  ready(urls: { readonly httpUrl: string; readonly httpsUrl: string | null }): void;
}

const METRICS_TIMEOUT_MS = 10_000;

/** The role of this process when the primary of `deed serve` forked it, else undefined. */
export function currentWorkerRole(count: number): WorkerRole | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env[WORKER_INDEX_ENV]);
  if (!Number.isInteger(index) || index < 1 || index > count) {
    throw new Error(`${WORKER_INDEX_ENV} must be an integer from 1 to ${count}, got ${JSON.stringify(process.env[WORKER_INDEX_ENV] ?? null)}`);
  }
  let nextId = 1;
  return {
    index,
    count,
    clusterMetrics() {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onMessage = (message: unknown) => {
          if (!isMetricsMessage(message) || message.id !== id) return;
          done();
          if (typeof message.text === 'string') resolve(message.text);
          else reject(new Error(`gathering the workers' metrics failed: ${message.error ?? 'no answer'}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error('gathering the workers\' metrics timed out'));
        }, METRICS_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          process.off('message', onMessage);
        };
        process.on('message', onMessage);
        process.send?.({ type: 'deed:metrics', id } satisfies MetricsRequest);
      });
    },
    ready(urls) {
      process.send?.({ type: 'deed:ready', ...urls } satisfies ReadyMessage);
    },
  };
}
