import { del, get, post, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, checkbox, field, h, replace, select, table, when } from '../dom.js';
import { errorBox } from '../messages.js';
import type { ApiKey } from '../types.js';
import { heading } from './parts.js';

const SCOPES: Readonly<Record<string, string>> = {
  'devices:read': 'List and show devices (never their keys)',
  'devices:write': 'Register, import, change and remove devices',
  'devices:export-keys': 'Export root keys (marks them exposed)',
  'claims:write': 'Claim and release devices',
  'peers:admin': 'Manage Network and Application Server peers',
  'accounts:admin': 'Manage accounts and anyone\'s API keys',
  'audit:read': 'Read and verify the audit log',
};
const EXPIRY = [['', 'Never'], ['7', '7 days'], ['30', '30 days'], ['90', '90 days'], ['365', '1 year']] as const;

/**
 * API keys: your own (create with scopes, list, revoke); an admin also lists and revokes
 * another account's (`?account=…`).
 */
export async function apiKeysView(ctx: Ctx, notice: HTMLElement | null = null): Promise<void> {
  ctx.setTitle('API keys');
  const isAdmin = ctx.session.role === 'admin';
  const other = isAdmin ? (ctx.query.get('account') ?? '').trim() : '';
  const base = other === '' ? '/api/v1/me/api-keys' : `/api/v1/accounts/${seg(other)}/api-keys`;
  const keys = await get<ApiKey[]>(base);
  const message = h('div', { 'aria-live': 'polite' });
  const again = (next: HTMLElement) => apiKeysView(ctx, next);
  const revoke = (key: ApiKey) => h('button', {
    type: 'button', class: 'secondary', disabled: key.status !== 'active',
    onclick: () => {
      if (!window.confirm(`Revoke the API key "${key.name}"? Whatever uses it stops working at once.`)) return;
      del(`${base}/${seg(key.id)}`).then(() => again(alertBox('ok', `API key "${key.name}" revoked.`)))
        .catch((error: unknown) => replace(message, errorBox(error)));
    },
  }, 'Revoke');

  const lookup = h('input', { type: 'text', name: 'account', value: other, autocomplete: 'off', placeholder: 'username' });
  const lookupForm = isAdmin ? h('form', { class: 'card toolbar' },
    h('div', {}, field('Account', lookup, 'Empty: your own keys.')),
    h('div', {}), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Show keys'))) : null;
  lookupForm?.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(lookup.value.trim() === '' ? '#/api-keys' : `#/api-keys?account=${encodeURIComponent(lookup.value.trim())}`);
  });

  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, placeholder: 'e.g. label printer' });
  const scopeBoxes = ctx.session.scopes.filter((s) => s in SCOPES).map((scope) => ({ scope, ...checkbox(`${scope}: ${SCOPES[scope] ?? ''}`, { value: scope }) }));
  const expiry = select(EXPIRY, { name: 'expires' });
  const formMessage = h('div', { 'aria-live': 'polite' });
  const form = other !== '' ? null : h('form', { class: 'card' },
    h('h2', {}, 'New API key'),
    field('Name', name),
    h('fieldset', {}, h('legend', {}, 'Scopes'), scopeBoxes.map((b) => b.wrapper)),
    field('Expires', expiry),
    formMessage,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create API key')));
  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    const scopes = scopeBoxes.filter((b) => b.input.checked).map((b) => b.scope);
    if (scopes.length === 0) {
      replace(formMessage, alertBox('error', 'Choose at least one scope', h('p', {}, 'A key may do only what its scopes allow.')));
      return;
    }
    const days = expiry.value === '' ? null : Number(expiry.value);
    post<ApiKey>('/api/v1/me/api-keys', {
      name: name.value.trim(), scopes, ...(days === null ? {} : { expiresAt: new Date(Date.now() + days * 86_400_000).toISOString() }),
    }).then((created) => again(alertBox('warn', `API key "${created.name}" created: copy it now`,
      h('p', {}, 'It is shown only this once; Deed keeps only its hash.'),
      h('p', { class: 'secret', 'data-testid': 'new-api-key' }, created.key ?? ''))))
      .catch((error: unknown) => replace(formMessage, errorBox(error)));
  });

  replace(ctx.main, heading(other === '' ? 'API keys' : `API keys of ${other}`), notice, lookupForm, message,
    keys.length === 0 ? alertBox('info', 'No API keys') : table(['Name', 'Scopes', 'Status', 'Created', 'Last used', 'Expires', ''], keys.map((k) => [
      k.name, k.scopes.join(', '), k.status, when(k.createdAt), when(k.lastUsedAt), k.expiresAt === null ? 'never' : when(k.expiresAt), revoke(k),
    ])),
    form);
}
