import { del, get, post, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, field, h, replace, select, table, when } from '../dom.js';
import { errorBox } from '../messages.js';
import type { Peer } from '../types.js';
import { heading } from './parts.js';

/** Network peers (admin): Network Servers (NetID) and Application Servers (AS-ID) that talk Backend Interfaces. */
export async function peersView(ctx: Ctx, notice: HTMLElement | null = null): Promise<void> {
  ctx.setTitle('Network peers');
  const peers = await get<Peer[]>('/api/v1/peers');
  const message = h('div', { 'aria-live': 'polite' });
  const remove = (peer: Peer) => h('button', {
    type: 'button', class: 'secondary',
    onclick: () => {
      if (!window.confirm(`Remove the peer ${peer.id}? It can no longer reach the Join Server.`)) return;
      del(`/api/v1/peers/${seg(peer.id)}`).then(() => peersView(ctx, alertBox('ok', `Peer ${peer.id} removed.`)))
        .catch((error: unknown) => replace(message, errorBox(error)));
    },
  }, 'Remove');

  const kind = select([['ns', 'Network Server'], ['as', 'Application Server']], { name: 'kind' });
  const netId = h('input', { type: 'text', name: 'netId', autocomplete: 'off', placeholder: 'e.g. 000013' });
  const nsId = h('input', { type: 'text', name: 'nsId', autocomplete: 'off', placeholder: 'optional, 16 hex digits' });
  const asId = h('input', { type: 'text', name: 'asId', autocomplete: 'off', placeholder: 'e.g. as-1' });
  const applicationId = h('input', { type: 'text', name: 'applicationId', autocomplete: 'off', placeholder: 'optional' });
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'empty: Deed generates one' });
  const fingerprint = h('input', { type: 'text', name: 'certFingerprint', autocomplete: 'off', placeholder: 'optional, SHA-256 hex' });
  const kekLabel = h('input', { type: 'text', name: 'kekLabel', autocomplete: 'off' });
  const kek = h('input', { type: 'password', name: 'kek', autocomplete: 'off', placeholder: '32, 48 or 64 hex digits' });
  const nsFields = h('div', { class: 'grid two' }, field('NetID', netId), field('NSID', nsId));
  const asFields = h('div', { class: 'grid two hidden' }, field('AS-ID', asId),
    field('Claim client of application', applicationId, 'Optional: its TTJS-API claims land in this application.'));
  kind.addEventListener('change', () => {
    nsFields.classList.toggle('hidden', kind.value !== 'ns');
    asFields.classList.toggle('hidden', kind.value !== 'as');
  });
  const formMessage = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    h('h2', {}, 'New peer'),
    field('Kind', kind), nsFields, asFields,
    h('div', { class: 'grid two' },
      field('Bearer token', token, 'At least 16 characters; or leave empty and use the generated one.'),
      field('TLS client certificate fingerprint', fingerprint),
      field('KEK label', kekLabel, 'Session keys for this peer are wrapped under this KEK.'),
      field('KEK', kek)),
    formMessage,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add peer')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const optional = (input: HTMLInputElement) => (input.value.trim() === '' ? {} : { [input.name]: input.value.trim() });
    const body = kind.value === 'ns' ? { ...optional(netId), ...optional(nsId) } : { ...optional(asId), ...optional(applicationId) };
    post<Peer>('/api/v1/peers', { ...body, ...optional(token), ...optional(fingerprint), ...optional(kekLabel), ...optional(kek) })
      .then((created) => peersView(ctx, created.token === undefined ? alertBox('ok', `Peer ${created.id} added.`)
        : alertBox('warn', `Peer ${created.id} added: copy its token now`, h('p', {}, 'It is shown only this once.'),
          h('p', { class: 'secret', 'data-testid': 'peer-token' }, created.token))))
      .catch((error: unknown) => replace(formMessage, errorBox(error)));
  });

  replace(ctx.main, heading('Network peers'), notice, message,
    peers.length === 0 ? alertBox('info', 'No peers yet') : table(['ID', 'Kind', 'Authentication', 'KEK label', 'Application', 'Created', ''], peers.map((p) => [
      h('span', { class: 'mono' }, p.id), p.kind === 'ns' ? 'Network Server' : 'Application Server',
      [p.authentication.token ? 'token' : null, p.authentication.certFingerprint !== null ? 'TLS certificate' : null].filter((x) => x !== null).join(', ') || '—',
      p.kekLabel ?? '—', p.applicationId ?? '—', when(p.createdAt), remove(p),
    ])),
    form);
}
