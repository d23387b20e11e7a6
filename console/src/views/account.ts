import { put } from '../api.js';
import type { Ctx } from '../app.js';
import { ROLE_NAMES } from '../app.js';
import { alertBox, facts, field, h, replace, when } from '../dom.js';
import { errorBox } from '../messages.js';
import { heading } from './parts.js';

/** My account: who I am, and changing my password (which ends my other console sessions). */
export function accountView(ctx: Ctx): void {
  ctx.setTitle('My account');
  const current = h('input', { type: 'password', name: 'currentPassword', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'newPassword', autocomplete: 'new-password', required: true, minlength: 12 });
  const repeat = h('input', { type: 'password', name: 'repeat', autocomplete: 'new-password', required: true });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    h('h2', {}, 'Change password'),
    field('Current password', current), field('New password', next, 'At least 12 characters.'), field('New password again', repeat),
    message, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Change password')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (next.value !== repeat.value) {
      replace(message, alertBox('error', 'The new passwords differ', h('p', {}, 'Type the same new password twice.')));
      return;
    }
    put('/api/v1/me/password', { currentPassword: current.value, newPassword: next.value })
      .then(() => {
        form.reset();
        replace(message, alertBox('ok', 'Password changed', h('p', {}, 'Your other sessions have ended; this one goes on.')));
      })
      .catch((error: unknown) => replace(message, errorBox(error)));
  });
  replace(ctx.main, heading('My account'),
    h('section', { class: 'card' }, facts([
      ['Username', ctx.session.username], ['Role', ROLE_NAMES[ctx.session.role]], ['Session ends', when(ctx.session.expiresAt)],
      ['May', ctx.session.scopes.join(', ')],
    ])),
    form);
}
