import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/deed-process.js';

/**
 * Browser tests drive Debian's chromium (`apt-get install chromium`; `.ci/run` installs it)
 * through playwright-core, headless. Without chromium they are skipped locally and fail on CI.
 */
export const CHROMIUM = process.env['DEED_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env['CI'] === 'true') {
  throw new Error(`chromium not found at ${CHROMIUM}: .ci/run installs Debian's chromium package`);
}

/** Where screenshots go: test-artifacts/browser/ (gitignored; CI keeps test-artifacts/). */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser');

/** Starts headless chromium; `args` adds flags (e.g. a fake camera). */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The sandbox needs user namespaces a CI container may not allow; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', ...args],
  });
}

/** Saves a full-page screenshot as test-artifacts/browser/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

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

/** A link of the console's main navigation. */
export function nav(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}
