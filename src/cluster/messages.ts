/** The environment variable that tells a worker process its index (1..count). */
export const WORKER_INDEX_ENV = 'DEED_WORKER_INDEX';

/** A worker listens: the URLs it serves (the same for every worker, which share the ports). */
export interface ReadyMessage {
  readonly type: 'deed:ready';
  readonly httpUrl: string;
  readonly httpsUrl: string | null;
}

/** A worker asks the primary for every worker's metrics (for `/metrics`). */
export interface MetricsRequest {
  readonly type: 'deed:metrics';
  readonly id: number;
}

/** The primary's answer: Prometheus text of all workers together, or why it failed. */
export interface MetricsAnswer {
  readonly type: 'deed:metrics';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

const isObject = (message: unknown): message is Record<string, unknown> => typeof message === 'object' && message !== null;

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return isObject(message) && message['type'] === 'deed:ready' && typeof message['httpUrl'] === 'string';
}

export function isMetricsMessage(message: unknown): message is MetricsRequest & MetricsAnswer {
  return isObject(message) && message['type'] === 'deed:metrics' && typeof message['id'] === 'number';
}
