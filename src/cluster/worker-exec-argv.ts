/**
 * V8's young generation of each worker process: semi-spaces of at most 4 MiB instead of V8's
 * 16 MiB. A join allocates about 50 KB and little of it survives, so a young-generation
 * collection (a pause of every request in flight in that worker) costs about the same per
 * megabyte allocated whatever the size: smaller semi-spaces make shorter, more frequent pauses,
 * which spread over all requests instead of adding several milliseconds to a few. With two
 * workers on two cores it took the join latency's p99/p50 from 2.9 to 2.6 at the same
 * throughput (docs/performance.md, "Figures of 2026-11-23 01:30 – 03:15 UTC (joins)").
 */
export const WORKER_SEMI_SPACE_OPTION = '--max-semi-space-size=4';

/**
 * The Node.js options to start each worker with: the primary's own, plus
 * {@link WORKER_SEMI_SPACE_OPTION} unless the operator chose a semi-space size already, on the
 * command line or in NODE_OPTIONS (which the workers inherit).
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const chosen = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((option) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option));
  return chosen ? [...execArgv] : [...execArgv, WORKER_SEMI_SPACE_OPTION];
}
