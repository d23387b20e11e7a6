import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { ADMIN, apiAs, type User } from './support/api.js';
import { HAVE_CHROMIUM, ensureConsoleBuilt, launchChromium, nav, screenshot } from './support/browser.js';

/**
 * Claim by device name and secret key in the web console (ThingsBoard's device-opened claim
 * windows): a device opens its window over HTTP with its access token; the owner claims it in
 * the browser; a wrong secret and a device already claimed are told apart.
 */

const MAKER: User = { username: 'window-maker', password: 'window maker password' };
const OWNER: User = { username: 'wanda', password: 'wanda password 1234' };

describe.skipIf(!HAVE_CHROMIUM)('web console: claim by name and secret key', () => {
  let server: DeedServer;
  let browser: Browser;
  let page: Page;
  const data = tempDir('deed-console-window-');

  async function openWindow(accessToken: string, secretKey: string): Promise<void> {
    const response = await fetch(`${server.url}/api/v1/${accessToken}/claim`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secretKey, durationMs: 60_000 }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startDeed({ dataDir: data.path });
    const admin = apiAs(server.url, ADMIN);
    await admin.addAccount(MAKER, 'provisioner');
    await admin.addAccount(OWNER, 'owner');
    await apiAs(server.url, OWNER).post('/api/v1/applications', { id: 'home', name: 'Home' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.getByLabel('Username').fill(OWNER.username);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Claim device' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
  });

  it('claims a device by name and secret after the device opened its window over HTTP', async () => {
    const created = await apiAs(server.url, MAKER).post<{ accessToken: string; name: string }>('/api/v1/ip-devices', { name: 'Thermostat 7' });
    await openWindow(created.accessToken, 'blue-42');

    await nav(page, 'Claim by name').click();
    await page.getByLabel('Device name').fill('Thermostat 7');
    await page.getByLabel('Secret key').fill('wrong-secret');
    await page.getByRole('button', { name: 'Claim device' }).click();
    const result = page.getByTestId('claim-result');
    await result.getByText('Claim failed').waitFor();
    expect(await result.textContent()).toContain('the secret key is wrong');

    await page.getByLabel('Secret key').fill('blue-42');
    await page.getByRole('button', { name: 'Claim device' }).click();
    await result.getByText('Device claimed').waitFor();
    expect(await result.textContent()).toContain('Thermostat 7');
    expect(await result.textContent()).toContain('home');

    // Claimed now: a second claim (even with the secret) says so.
    await page.getByRole('button', { name: 'Claim device' }).click();
    await result.getByText('Device already claimed').waitFor();
    await page.getByLabel('Device name').fill('No Such Device');
    await page.getByRole('button', { name: 'Claim device' }).click();
    await result.getByText('Unknown device').waitFor();

    await page.getByLabel('Device name').fill('Thermostat 7');
    await page.getByRole('button', { name: 'Claim device' }).click();
    await result.getByText('Device already claimed').waitFor();
    await screenshot(page, 'owner-claimed-by-name');
  });
});
