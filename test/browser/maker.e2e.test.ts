import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { MICROCHIP_FIXTURES } from '../support/shared-fixtures.js';
import { ADMIN, apiAs, type User } from './support/api.js';
import { HAVE_CHROMIUM, ensureConsoleBuilt, launchChromium, nav, screenshot } from './support/browser.js';

/**
 * The device maker in the web console, in a real (headless) chromium: sign in, import the real
 * Microchip TNGLORA manifest and watch its progress and owner token, download the result file,
 * print labels, export the root keys behind the typed confirmation, and see the device marked
 * exposed in the device list; sign out.
 */

const FIXTURE_DEV_EUI = '0004A310001FF9DA';
const MAKER: User = { username: 'console-maker', password: 'console maker password' };

describe.skipIf(!HAVE_CHROMIUM)('web console: the device maker', () => {
  let server: DeedServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const data = tempDir('deed-console-maker-');
  const errors: string[] = [];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startDeed({ dataDir: data.path });
    await apiAs(server.url, ADMIN).addAccount(MAKER, 'provisioner');
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => errors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
  });

  it('signs in; a wrong password says so, in the page, without the browser\'s own password dialog', async () => {
    await page.goto(server.url);
    await page.getByLabel('Username').fill(MAKER.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');

    await page.getByLabel('Password').fill(MAKER.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain(`${MAKER.username} · Device maker`);
    // A device maker's navigation: no claiming, no administration.
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(nav).toEqual(['Devices', 'Import devices', 'API keys', 'My account']);
    // The session is an HttpOnly cookie: scripts cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'deed_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await screenshot(page, 'maker-signed-in');
  });

  it('imports the real TNGLORA manifest with live progress, shows the owner token, and offers the result file and labels', async () => {
    await nav(page, 'Import devices').click();
    await page.getByLabel('File format').selectOption({ label: 'Microchip ATECC608A-TNGLORA Manifest File' });
    expect(await page.getByLabel('Import into').locator('option').allTextContents()).toEqual(['My inventory (unclaimed)']);
    expect(await page.getByLabel('Set claim authentication code').isChecked()).toBe(true);
    await page.getByLabel('File', { exact: true }).setInputFiles(join(MICROCHIP_FIXTURES, 'tnglora-b-valid.json'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    const progress = page.getByTestId('import-progress');
    await progress.getByText('Import finished').waitFor();
    const bar = await progress.getByRole('progressbar').evaluate((el) => ({ value: (el as unknown as { value: number }).value, max: (el as unknown as { max: number }).max }));
    expect(bar.value).toBe(bar.max);
    expect(await progress.textContent()).toContain('1 entries: 1 imported, 0 already imported, 0 failed');
    const row = progress.getByRole('row').filter({ hasText: FIXTURE_DEV_EUI });
    const shownToken = (await row.locator('td').nth(3).textContent())?.trim() ?? '';
    expect(shownToken).toMatch(/^[0-9A-F]{8}$/);
    // The token shown is the device's owner token.
    const device = await apiAs(server.url, MAKER).get<{ ownerToken: string; provenance: { format: string } }>(`/api/v1/devices/${FIXTURE_DEV_EUI}`);
    expect(device.ownerToken).toBe(shownToken);
    expect(device.provenance.format).toBe('microchip-atecc608');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download results (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe('tnglora-b-valid-results.csv');
    const file = readFileSync(await download.path(), 'utf8');
    expect(file.split('\r\n')[0]).toBe('index,dev_eui,result,claim_authentication_code,root_keys_exposed,error_code,error_message');
    expect(file).toContain(`0,${FIXTURE_DEV_EUI},imported,${shownToken},false,,`);

    await page.getByRole('button', { name: 'Print QR labels (1)' }).click();
    await page.getByRole('region', { name: 'QR labels' }).getByText('1 label on 1 A4 sheet').waitFor();
    expect(await page.locator('#print-area img').count()).toBe(1);
    await screenshot(page, 'maker-import-finished');
  });

  it('exports the root keys behind a warning and a typed confirmation; the device shows as exposed in the list', async () => {
    await nav(page, 'Devices').click();
    const listed = page.getByRole('row').filter({ hasText: FIXTURE_DEV_EUI });
    await listed.waitFor();
    expect(await listed.textContent()).not.toContain('Keys exposed');
    await listed.getByRole('link', { name: FIXTURE_DEV_EUI }).click();
    await page.getByRole('heading', { name: `Device ${FIXTURE_DEV_EUI}` }).waitFor();
    const identity = page.getByRole('region', { name: 'Identity' });
    expect(await identity.textContent()).toContain('ATECC608');
    expect(await page.getByRole('region', { name: 'Provenance' }).textContent()).toContain('Microchip ATECC608A-TNGLORA Manifest File');
    expect(await page.getByRole('region', { name: 'LoRaWAN state' }).textContent()).toMatch(/Sessions\s*0/);
    expect(await page.getByRole('region', { name: 'Audit trail' }).textContent()).toContain('Imported');

    const zone = page.getByRole('region', { name: 'Export root keys' });
    expect(await zone.textContent()).toContain('Keys not available');
    await zone.getByRole('button', { name: 'Export root keys…' }).click();
    expect(await zone.getByRole('alert').textContent()).toContain('Exposure is permanent');
    const confirm = zone.getByLabel(`Type the DevEUI ${FIXTURE_DEV_EUI} to confirm`);
    const go = zone.getByRole('button', { name: 'Export root keys now' });
    await confirm.fill('0004A310001FF9DB');
    expect(await go.isDisabled()).toBe(true);
    await confirm.fill(FIXTURE_DEV_EUI.toLowerCase());
    await go.click();
    await page.getByText('Root keys exported: this device is now marked keys exposed').waitFor();
    expect(await page.getByTestId('root-keys').textContent()).toContain('AppKey not available');
    expect(await page.locator('.badges').first().textContent()).toContain('Keys exposed');

    await nav(page, 'Devices').click();
    const exposed = page.getByRole('row').filter({ hasText: FIXTURE_DEV_EUI });
    await exposed.getByText('Keys exposed').waitFor();
    await page.getByLabel('State').selectOption('exposed');
    await page.getByText('Devices 1–1 of 1').waitFor();
    expect(page.url()).toContain('state=exposed');
    expect((await apiAs(server.url, MAKER).get<{ rootKeysExposed: boolean }>(`/api/v1/devices/${FIXTURE_DEV_EUI}`)).rootKeysExposed).toBe(true);
    await screenshot(page, 'maker-device-exposed');
  });

  it('pages through a larger inventory and finds devices by DevEUI or name', async () => {
    const csv = ['dev_eui,join_eui,name', ...Array.from({ length: 120 }, (_, i) => `${(0xB000000000000000n + BigInt(i)).toString(16).toUpperCase()},70B3D57ED0000000,crate ${i}`)];
    const imported = await apiAs(server.url, MAKER).importCsv(csv.join('\n'));
    expect(imported.filter((r) => r.ok)).toHaveLength(120);
    await page.getByLabel('State').selectOption('');
    await page.getByText('Devices 1–50 of 121').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Devices 51–100 of 121').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Devices 101–121 of 121').waitFor();
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Devices 51–100 of 121').waitFor();
    await page.getByLabel('Search').fill('crate 11');
    await page.getByLabel('Search').press('Enter');
    await page.getByText('Devices 1–11 of 11').waitFor();
    await page.getByLabel('Search').fill('b000000000000007');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('Devices 1–1 of 1').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'B000000000000007' }).textContent()).toContain('crate 7');
    await screenshot(page, 'maker-inventory-search');
  });

  it('signs out: the session ends on the server too', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    // (As the console asks: a bare 401 would make the browser pop up its own password dialog.)
    const status = await page.evaluate(async () => (await fetch('/api/v1/devices', { headers: { 'X-Requested-With': 'test' } })).status);
    expect(status).toBe(401);
    expect(errors).toEqual([]);
    await screenshot(page, 'maker-signed-out');
  });
});
