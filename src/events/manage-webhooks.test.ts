import { describe, expect, it } from 'vitest';
import type { AccountRecord } from '../accounts/account.js';
import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import { createWebhook, listWebhooks, MAX_WEBHOOKS_PER_ACCOUNT, parseWebhookUrl, removeWebhook, setWebhookDisabled } from './manage-webhooks.js';
import type { WebhookRecord, WebhookStore } from './webhook.js';

const account = (username: string, role: AccountRecord['role']): AccountRecord => ({
  id: `id-${username}`, username, passwordHash: 'h', role, disabled: false, createdAt: new Date(0),
});
const olga = account('olga', 'owner');
const otto = account('otto', 'owner');
const admin = account('admin', 'admin');

function setup() {
  const rows = new Map<string, WebhookRecord>();
  let n = 0;
  const webhooks: WebhookStore = {
    async create(webhook) {
      const record = { ...webhook, createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, n++)), disabled: false };
      rows.set(webhook.id, record);
      return record;
    },
    get: async (id) => rows.get(id) ?? null,
    listByOwner: async (ownerId) => [...rows.values()].filter((w) => w.ownerId === ownerId),
    list: async () => [...rows.values()],
    remove: async (id) => rows.delete(id),
    async setDisabled(id, disabled) {
      const row = rows.get(id);
      if (row !== undefined) rows.set(id, { ...row, disabled });
      return row !== undefined;
    },
  };
  const sealed: { plaintext: string; context: string }[] = [];
  const deps = {
    webhooks,
    accounts: { getById: async (id: string) => [olga, otto, admin].find((a) => a.id === id) ?? null },
    vault: {
      seal(plaintext: Uint8Array, context: string): Sealed {
        sealed.push({ plaintext: Buffer.from(plaintext).toString('utf8'), context });
        return `sealed:${context}` as Sealed;
      },
    },
    random: { bytes: (size: number) => new Uint8Array(size).fill(++n) },
  };
  return { deps, rows, sealed };
}

describe('managing webhooks', () => {
  it('registers a webhook with a whsec_ secret shown once and stored sealed under webhook:<id>:secret', async () => {
    const { deps, rows, sealed } = setup();
    const created = await createWebhook(deps, olga, { url: 'https://example.com/hooks?x=1' });
    expect(created).toMatchObject({
      owner: 'olga', url: 'https://example.com/hooks?x=1', events: ['device.claimed', 'device.released', 'device.token_changed'], disabled: false,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(sealed).toEqual([{ plaintext: created.secret, context: sealContext.webhookSecret(created.id) }]);
    expect(rows.get(created.id)?.secret).toBe(`sealed:webhook:${created.id}:secret`);
    expect(JSON.stringify(await listWebhooks(deps, olga))).not.toContain('whsec_');
  });

  it('keeps the event types asked for, in canonical order', async () => {
    const { deps } = setup();
    expect((await createWebhook(deps, olga, { url: 'http://10.0.0.1:8080/x', events: ['device.token_changed', 'device.claimed'] })).events)
      .toEqual(['device.claimed', 'device.token_changed']);
    for (const events of [[], ['device.exploded'], 'device.claimed', [1]]) {
      await expect(createWebhook(deps, olga, { url: 'https://example.com', events })).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'events' } });
    }
  });

  it('accepts only absolute http(s) URLs without credentials or fragment', () => {
    expect(parseWebhookUrl(' https://Example.COM:8443/a b ')).toBe('https://example.com:8443/a%20b');
    for (const url of [undefined, '', 'example.com/x', 'ftp://example.com', 'file:///etc/passwd', 'javascript:alert(1)',
      'https://user:pw@example.com/', 'https://example.com/#frag', `https://example.com/${'a'.repeat(2048)}`, 42]) {
      expect(() => parseWebhookUrl(url)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    }
    expect(() => parseWebhookUrl('https://user:s3cret@example.com/')).toThrow(expect.not.objectContaining({ message: expect.stringContaining('s3cret') }));
  });

  it('lists an account\'s own webhooks, and everyone\'s for an admin', async () => {
    const { deps } = setup();
    await createWebhook(deps, olga, { url: 'https://olga.example/' });
    await createWebhook(deps, otto, { url: 'https://otto.example/' });
    expect((await listWebhooks(deps, olga)).map((w) => w.owner)).toEqual(['olga']);
    expect((await listWebhooks(deps, admin)).map((w) => w.owner)).toEqual(['olga', 'otto']);
  });

  it('lets an account remove, disable and enable its own webhooks only (an admin any); another\'s is not found', async () => {
    const { deps, rows } = setup();
    const mine = await createWebhook(deps, olga, { url: 'https://olga.example/' });
    await expect(removeWebhook(deps, otto, mine.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(setWebhookDisabled(deps, otto, mine.id, true)).rejects.toMatchObject({ code: 'not_found' });
    expect(await setWebhookDisabled(deps, olga, mine.id, true)).toMatchObject({ id: mine.id, disabled: true });
    expect(await setWebhookDisabled(deps, admin, mine.id, false)).toMatchObject({ id: mine.id, disabled: false, owner: 'olga' });
    await removeWebhook(deps, olga, mine.id);
    expect(rows.size).toBe(0);
    await expect(removeWebhook(deps, olga, mine.id)).rejects.toMatchObject({ code: 'not_found' });
    const theirs = await createWebhook(deps, otto, { url: 'https://otto.example/' });
    await removeWebhook(deps, admin, theirs.id);
    expect(rows.size).toBe(0);
  });

  it(`limits an account to ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks`, async () => {
    const { deps } = setup();
    for (let i = 0; i < MAX_WEBHOOKS_PER_ACCOUNT; i++) await createWebhook(deps, olga, { url: `https://olga.example/${i}` });
    await expect(createWebhook(deps, olga, { url: 'https://olga.example/one-more' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(createWebhook(deps, otto, { url: 'https://otto.example/' })).resolves.toMatchObject({ owner: 'otto' });
  });
});
