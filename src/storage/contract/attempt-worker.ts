/**
 * A separate process for the cross-process attempt-limiter tests: opens the database at argv[2],
 * migrates it, then at the wall-clock instant argv[5] (epoch ms) records argv[4] concurrent
 * failures against the key argv[3], with a device and account threshold of argv[6], and prints
 * `{"done":N}` on stdout. Run with `node --import tsx`.
 */
import { createAttemptLimiter, DEFAULT_ATTEMPT_LIMITS } from '../attempt-repository.js';
import { migrateToLatest } from '../migrate-to-latest.js';
import { openDatabase } from '../open-database.js';

const [url, key, count, startAt, threshold] = process.argv.slice(2);
if (url === undefined || key === undefined) throw new Error('usage: attempt-worker <url> <key> <count> <startAtEpochMs> <threshold>');
const handle = await openDatabase(url);
try {
  await migrateToLatest(handle);
  const max = Number(threshold ?? 1000);
  const attempts = createAttemptLimiter(handle, { ...DEFAULT_ATTEMPT_LIMITS, maxFailuresDevice: max, maxFailuresAccount: max });
  const now = new Date();
  // Line the processes up on a wall-clock instant so their statements overlap.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt ?? 0) - Date.now())));
  await Promise.all(Array.from({ length: Number(count ?? 1) }, () => attempts.recordFailure([key], now)));
  process.stdout.write(`${JSON.stringify({ done: Number(count ?? 1) })}\n`);
} finally {
  await handle.close();
}
