import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { WORKER_INDEX_ENV, isMetricsMessage, isReadyMessage, type MetricsAnswer } from './messages.js';
import { workerExecArgv } from './worker-exec-argv.js';

/** Workers that all listen, as the primary of `deed serve` sees them. */
export interface SupervisedWorkers {
  readonly httpUrl: string;
  readonly httpsUrl: string | null;
  /** Resolves when supervision gave up: a worker kept exiting (the primary should stop then). */
  readonly failed: Promise<Error>;
  /** SIGTERM to every worker (SIGKILL after `graceMs`); resolves once all have exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Tuning of {@link superviseWorkers}. */
export interface SuperviseOptions {
  readonly count: number;
  readonly logger: Logger;
  /** More restarts than this within `restartWindowMs` end supervision. Default 5. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
}

const DEFAULT_GRACE_MS = 15_000;

/**
 * Forks `count` workers running the same command (node:cluster: they share the listening
 * ports, the primary hands each new connection to one of them) and resolves once every worker
 * reported that it listens. Rejects, after stopping the others, when a worker exits before that.
 *
 * Afterwards a worker that exits unexpectedly is started again with the same index (worker 1
 * runs the background jobs); more than `maxRestarts` restarts per `restartWindowMs` end
 * supervision (`failed`). The primary also answers the workers' requests for every worker's
 * metrics (prom-client's AggregatorRegistry), so `/metrics` counts all of them.
 */
export function superviseWorkers(options: SuperviseOptions): Promise<SupervisedWorkers> {
  const { count, logger } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env['NODE_OPTIONS']) });
  const aggregator = new AggregatorRegistry();
  const workers = new Map<number, Worker>();
  const restarts: number[] = [];
  let stopping: Promise<void> | undefined;
  let giveUp: (reason: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => {
    giveUp = resolve;
  });

  const stopWorker = (worker: Worker, graceMs: number) =>
    new Promise<void>((resolve) => {
      if (worker.isDead()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.process.kill('SIGTERM');
    });

  const stop = (graceMs = DEFAULT_GRACE_MS): Promise<void> =>
    (stopping ??= Promise.all([...workers.values()].map((w) => stopWorker(w, graceMs))).then(() => undefined));

  const answerMetrics = (worker: Worker, id: number) => {
    const reply = (answer: Omit<MetricsAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: 'deed:metrics', id, ...answer } satisfies MetricsAnswer);
    };
    aggregator.clusterMetrics().then((text) => reply({ text }), (err: Error) => reply({ error: err.message }));
  };

  return new Promise((resolve, reject) => {
    let urls: { httpUrl: string; httpsUrl: string | null } | undefined;
    const ready = new Set<number>();

    const fork = (index: number): void => {
      const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
      workers.set(index, worker);
      worker.on('message', (message: unknown) => {
        if (isMetricsMessage(message)) {
          answerMetrics(worker, message.id);
        } else if (isReadyMessage(message)) {
          if (urls !== undefined) {
            logger.info({ worker: index }, 'worker started again and listens');
            return;
          }
          ready.add(index);
          if (ready.size === count) {
            urls = { httpUrl: message.httpUrl, httpsUrl: message.httpsUrl };
            resolve({ ...urls, failed, stop });
          }
        }
      });
      worker.on('exit', (code: number | null, signal: string | null) => {
        if (stopping !== undefined || workers.get(index) !== worker) return;
        const how = signal ?? `code ${code ?? '?'}`;
        if (urls === undefined) {
          logger.error({ worker: index, exit: how }, 'worker exited before it listened');
          void stop().then(() => reject(new Error(`worker ${index} of ${count} exited (${how}) before it listened; see its messages above`)));
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while ((restarts[0] ?? now) < now - restartWindowMs) restarts.shift();
        if (restarts.length > maxRestarts) {
          logger.error({ worker: index, exit: how }, 'worker exited; too many restarts, stopping');
          void stop().then(() => giveUp(new Error(`workers exited ${restarts.length} times within ${restartWindowMs / 1000} s (worker ${index}: ${how})`)));
          return;
        }
        logger.error({ worker: index, exit: how }, 'worker exited unexpectedly; starting it again');
        fork(index);
      });
    };

    for (let index = 1; index <= count; index++) fork(index);
  });
}
