import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/deed-process.js';

export { ensureConsoleBuilt } from './console-build.js';

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

/** A link of the console's main navigation. */
export function nav(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}
