import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';
import { ADMIN, apiAs, type User } from './support/api.js';
import { HAVE_CHROMIUM, ensureConsoleBuilt, launchChromium, nav, screenshot } from './support/browser.js';

/**
 * The admin and the bulk owner in the web console: accounts, API keys (shown once, revoked),
 * network peers (generated token shown once); an import straight into an application; a bulk
 * claim from a CSV file with one result per row.
 */

const JOIN_EUI = '70B3D57ED0000000';
const MAKER: User = { username: 'bulk-maker', password: 'bulk maker password' };
const OWNER: User = { username: 'bulk-owner', password: 'bulk owner password' };
const PREFIX = randomBytes(3).toString('hex').toUpperCase();
const eui = (n: number) => `${PREFIX}00000000${String(n).padStart(2, '0')}`;

describe.skipIf(!HAVE_CHROMIUM)('web console: administration and bulk claims', () => {
  let server: DeedServer;
  let browser: Browser;
  let page: Page;
  const data = tempDir('deed-console-admin-');
  const files = tempDir('deed-console-admin-files-');

  async function signIn(target: Page, user: User, heading: string): Promise<void> {
    await target.goto(server.url);
    await target.getByLabel('Username').fill(user.username);
    await target.getByLabel('Password').fill(user.password);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { name: heading }).waitFor();
  }

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startDeed({ dataDir: data.path });
    await apiAs(server.url, ADMIN).addAccount(MAKER, 'provisioner');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    await signIn(page, { username: 'admin', password: ADMIN_PASSWORD }, 'Devices');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
    files.remove();
  });

  it('creates an account', async () => {
    await nav(page, 'Accounts').click();
    await page.getByLabel('Username').fill(OWNER.username);
    await page.getByLabel('Role').selectOption('owner');
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByLabel('Password again').fill(OWNER.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(`Account ${OWNER.username} created (Device owner).`).waitFor();
    expect(await page.getByRole('row').filter({ hasText: OWNER.username }).textContent()).toContain('Active');
    await screenshot(page, 'admin-accounts');
  });

  it('creates an API key, shown once, and revokes it', async () => {
    await nav(page, 'API keys').click();
    await page.getByLabel('Name').fill('label printer');
    await page.getByLabel(/^devices:read/).check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent()) ?? '';
    expect(key).toMatch(/^dk_/);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(await me.json()).toMatchObject({ username: 'admin', authenticatedWith: 'api-key', scopes: ['devices:read'] });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('row').filter({ hasText: 'label printer' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('API key "label printer" revoked.').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'label printer' }).textContent()).toContain('revoked');
    await screenshot(page, 'admin-api-keys');
  });

  it('adds a network peer and shows its generated token once', async () => {
    await nav(page, 'Network peers').click();
    await page.getByLabel('NetID').fill('000013');
    await page.getByLabel('KEK label').fill('ns-kek');
    await page.getByLabel('KEK', { exact: true }).fill('000102030405060708090A0B0C0D0E0F');
    await page.getByRole('button', { name: 'Add peer' }).click();
    expect(await page.getByTestId('peer-token').textContent()).toMatch(/^bi_/);
    expect(await page.getByRole('row').filter({ hasText: 'ns:000013' }).textContent()).toContain('ns-kek');
    await screenshot(page, 'admin-peers');
  });

  it('imports a CSV straight into one of its applications', async () => {
    await apiAs(server.url, ADMIN).post('/api/v1/applications', { id: 'fleet', name: 'Fleet' });
    const csv = join(files.path, 'fleet.csv');
    writeFileSync(csv, ['dev_eui,join_eui,app_key', ...[1, 2].map((n) => `${eui(n)},${JOIN_EUI},${randomBytes(16).toString('hex')}`)].join('\n'));
    await nav(page, 'Import devices').click();
    await page.getByLabel('File format').selectOption('csv');
    await page.getByLabel('File', { exact: true }).setInputFiles(csv);
    await page.getByLabel('Import into').selectOption('fleet');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Claimed into fleet').waitFor();
    expect(await page.getByTestId('import-progress').textContent()).toContain('2 devices claimed.');
    const device = await apiAs(server.url, ADMIN).get<{ state: string; applicationId: string }>(`/api/v1/devices/${eui(1)}`);
    expect(device).toMatchObject({ state: 'claimed', applicationId: 'fleet' });
    await screenshot(page, 'admin-import-into-application');
  });

  it('lets an owner claim from a file, with one result per row', async () => {
    const imported = await apiAs(server.url, MAKER).importCsv([
      'dev_eui,join_eui,app_key,claim_authentication_code',
      ...[11, 12].map((n) => `${eui(n)},${JOIN_EUI},${randomBytes(16).toString('hex')},CODE${n}${PREFIX}`),
    ].join('\n'));
    expect(imported.every((r) => r.ok)).toBe(true);
    await apiAs(server.url, OWNER).post('/api/v1/applications', { id: 'bulk-app' });
    const file = join(files.path, 'claims.csv');
    writeFileSync(file, [
      'dev_eui;join_eui;claim_authentication_code',
      `${eui(11)};${JOIN_EUI};CODE11${PREFIX}`,
      `${eui(12)};${JOIN_EUI};WRONG`,
      `${eui(11)};${JOIN_EUI};CODE11${PREFIX}`,
    ].join('\n'));
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await context.newPage();
    phone.setDefaultTimeout(15_000);
    await signIn(phone, OWNER, 'Claim device');
    await nav(phone, 'Bulk claim').click();
    await phone.getByLabel('File').setInputFiles(file);
    await phone.getByRole('button', { name: 'Claim devices' }).click();
    const results = phone.getByTestId('bulk-results');
    await results.getByText('1 claimed, 2 failed').waitFor();
    // (On a phone the table's header row is hidden: each cell carries its label instead.)
    const rows = (await results.getByRole('row').allTextContents()).slice(-3);
    expect(rows[0]).toMatch(new RegExp(`${eui(11)}.*Claimed`));
    expect(rows[1]).toContain('Wrong claim authentication code');
    expect(rows[2]).toContain('Duplicate: the same device as row 1');
    const [download] = await Promise.all([phone.waitForEvent('download'), results.getByRole('button', { name: 'Download results (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe('claims-claims.csv');
    await screenshot(phone, 'owner-bulk-claim');
    await context.close();
  });
});
