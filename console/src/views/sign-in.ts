import { ApiError, api, type Session } from '../api.js';
import { alertBox, field, h, replace } from '../dom.js';
import { errorBox } from '../messages.js';

/** The sign-in form; calls `done` with the new session. */
export function showSignIn(main: HTMLElement, done: (session: Session) => void, notice?: string): void {
  document.title = 'Sign in · Deed';
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', {}, 'Sign in to Deed'),
    notice === undefined ? null : alertBox('info', notice),
    field('Username', username),
    field('Password', password),
    message,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (username.value.trim() === '' || password.value === '') {
      replace(message, alertBox('error', 'Missing input', h('p', {}, 'Give your username and password.')));
      (username.value.trim() === '' ? username : password).focus();
      return;
    }
    submit.disabled = true;
    replace(message, h('p', { class: 'loading' }, 'Signing in…'));
    api<Session>('POST', '/api/v1/session', { body: { username: username.value.trim(), password: password.value }, quiet401: true })
      .then((session) => done(session))
      .catch((error: unknown) => {
        submit.disabled = false;
        if (error instanceof ApiError && error.status === 401) {
          replace(message, alertBox('error', 'Wrong username or password', h('p', {}, 'Check both and try again. After a few wrong tries sign-in is paused for a while.')));
        } else {
          replace(message, errorBox(error, () => { submit.disabled = false; }));
          if (error instanceof ApiError && error.code === 'rate_limited') submit.disabled = true;
        }
        password.value = '';
        password.focus();
      });
  });
  replace(main, form);
  username.focus();
}
