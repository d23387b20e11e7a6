/**
 * The ECDSA P-256 verification ceiling of this machine: one worker thread per core, each
 * verifying a fixed ES256 signature with node:crypto for `durationMs` (ecdsa-worker.ts), all at
 * the same time; the ceiling is the sum of their rates. Every manifest entry needs two such
 * verifications (its JWS by the Log Signer, and its device certificate by `x5c[1]`), so an
 * import can at most reach half this rate in entries per second.
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What {@link measureEcdsaCeiling} found. */
export interface EcdsaCeiling {
  readonly threads: number;
  /** Verifications per second, all threads together. */
  readonly verifiesPerSecond: number;
  /** Each thread's rate. */
  readonly perThread: readonly number[];
}

const WORKER = new URL('./ecdsa-worker.js', import.meta.url);

/**
 * Runs the measurement: `threads` (default: one per core) verifying for `durationMs` (default 2 s)
 * over an `inputBytes`-long signing input (default 3,400 bytes, a Microchip manifest entry's size).
 */
export async function measureEcdsaCeiling(options: { threads?: number; durationMs?: number; inputBytes?: number } = {}): Promise<EcdsaCeiling> {
  const threads = options.threads ?? cpus().length;
  const workerData = { durationMs: options.durationMs ?? 2000, inputBytes: options.inputBytes ?? 3400 };
  const rates = await Promise.all(Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData });
    worker.once('message', (m: { verifies: number; elapsedMs: number }) => resolve((m.verifies * 1000) / m.elapsedMs));
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`ECDSA ceiling worker exited with ${code}`)); });
  })));
  return { threads, verifiesPerSecond: rates.reduce((a, b) => a + b, 0), perThread: rates };
}
