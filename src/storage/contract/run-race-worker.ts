import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./race-worker.ts', import.meta.url));

/** What one race-worker process reported. */
export interface WorkerResult {
  readonly applied: string[];
  readonly won: number;
}

/** Runs `race-worker.ts` in a new Node process (with tsx) and parses its report. */
export function runRaceWorker(args: readonly string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', worker, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`race worker failed: ${error.message}\n${stderr}`));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as WorkerResult);
    });
  });
}
