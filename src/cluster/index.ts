/**
 * Several `deed serve` processes on one machine (DEED_WORKERS): the primary forks workers that
 * share the listening ports (node:cluster), starts them again when they crash, and gathers their
 * metrics; each worker is a full server over the shared database.
 */
export { superviseWorkers, type SupervisedWorkers, type SuperviseOptions } from './supervise-workers.js';
export { currentWorkerRole, type WorkerRole } from './worker-role.js';
export { WORKER_INDEX_ENV } from './messages.js';
