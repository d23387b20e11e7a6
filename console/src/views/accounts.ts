import { get, post, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { ROLE_NAMES } from '../app.js';
import { alertBox, field, h, replace, select, table, when } from '../dom.js';
import { errorBox } from '../messages.js';
import type { Account } from '../types.js';
import { heading } from './parts.js';

/** Accounts (admin): list, create, disable and enable. */
export async function accountsView(ctx: Ctx, notice: HTMLElement | null = null): Promise<void> {
  ctx.setTitle('Accounts');
  const accounts = await get<Account[]>('/api/v1/accounts');
  const message = h('div', { 'aria-live': 'polite' });
  const toggle = (account: Account) => h('button', {
    type: 'button', class: 'secondary', disabled: account.id === ctx.session.id,
    onclick: () => {
      const action = account.disabled ? 'enable' : 'disable';
      if (action === 'disable' && !window.confirm(`Disable ${account.username}? Its API keys stop at once, its sessions too.`)) return;
      post<Account>(`/api/v1/accounts/${seg(account.username)}/${action}`)
        .then(() => accountsView(ctx, alertBox('ok', `${account.username} ${action}d.`)))
        .catch((error: unknown) => replace(message, errorBox(error)));
    },
  }, account.disabled ? 'Enable' : 'Disable');

  const username = h('input', { type: 'text', name: 'username', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const role = select([['owner', ROLE_NAMES.owner], ['provisioner', ROLE_NAMES.provisioner], ['admin', ROLE_NAMES.admin]], { name: 'role' });
  const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'new-password', minlength: 12 });
  const repeat = h('input', { type: 'password', name: 'repeat', required: true, autocomplete: 'new-password' });
  const formMessage = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    h('h2', {}, 'New account'),
    h('div', { class: 'grid two' },
      field('Username', username, 'Lower-case letters, digits, ".", "_" and "-".'), field('Role', role),
      field('Password', password, 'At least 12 characters.'), field('Password again', repeat)),
    formMessage,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create account')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (password.value !== repeat.value) {
      replace(formMessage, alertBox('error', 'The passwords differ', h('p', {}, 'Type the same password twice.')));
      repeat.focus();
      return;
    }
    post<Account>('/api/v1/accounts', { username: username.value.trim(), role: role.value, password: password.value })
      .then((created) => accountsView(ctx, alertBox('ok', `Account ${created.username} created (${ROLE_NAMES[created.role]}).`)))
      .catch((error: unknown) => replace(formMessage, errorBox(error)));
  });

  replace(ctx.main, heading('Accounts'), notice, message,
    table(['Username', 'Role', 'Status', 'Created', ''], accounts.map((a) => [
      a.username, ROLE_NAMES[a.role], a.disabled ? 'Disabled' : 'Active', when(a.createdAt),
      h('span', { class: 'actions' }, toggle(a), h('a', { href: `#/api-keys?account=${encodeURIComponent(a.username)}` }, 'API keys')),
    ])),
    form);
}
