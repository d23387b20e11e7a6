import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/deed-process.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the console into dist/console unless it is newer than its sources (`npm run build`
 * does it too; the test setup compiles only the server). Test files that start at once take
 * turns through a lock file, so no server reads a half-written build.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const out = join(REPO_ROOT, 'dist', 'console', 'app.js');
  const sources = join(REPO_ROOT, 'console');
  const fresh = () => existsSync(out) && statSync(out).mtimeMs >= newestMtime(sources);
  if (fresh()) return;
  const lock = join(REPO_ROOT, 'dist', '.console-build.lock');
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} stayed locked: remove it if no build runs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (fresh()) return;
    const run = spawnSync(process.execPath, [join(sources, 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`console build failed:\n${run.stdout}\n${run.stderr}`);
  } finally {
    rmSync(lock, { force: true });
  }
}
