/**
 * The life of a benchmark process (`bench/<name>/run.ts`): what to undo when it ends, fails or is
 * interrupted, and its exit codes. Shared by every benchmark.
 */
import { killAllOwned, stopAllOwned } from './common.js';

/** A bad flag or environment value: {@link runBenchmark} reports it in one line, without a stack, and exits 2. */
export class UsageError extends Error {}

/** Everything to undo at the end, newest first. */
const undoList: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;

/** Registers something to undo (a temporary directory, a database) when the benchmark ends, fails or is interrupted. */
export function atCleanUp(undo: () => Promise<void> | void): void {
  undoList.push(undo);
}

/** Stops every child process, then undoes everything registered, newest first; once, however often it is called. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllOwned().catch(() => undefined);
    while (undoList.length > 0) {
      try {
        await undoList.pop()?.();
      } catch (err) {
        log(`cleanup: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** A bad flag (node:util parseArgs) or a {@link UsageError}. */
function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_'));
}

/**
 * Runs `main` as the whole process and cleans up after it, however it ends: exit 0 when it
 * resolves (whether or not a target was met), 2 for a usage error (`<name>: message (see
 * --help)`), 1 with the stack for anything else, 130 on SIGINT or SIGTERM. Children still
 * running at exit are killed.
 */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllOwned);

  main().then(
    async () => {
      await cleanUp();
      process.exit(0);
    },
    async (err: unknown) => {
      if (interrupted) return; // the signal handler cleans up and exits
      log(isUsageError(err) ? `${name}: ${err.message} (see --help)` : `${name} failed: ${(err as Error).stack ?? String(err)}`);
      await cleanUp();
      process.exit(isUsageError(err) ? 2 : 1);
    },
  );
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
