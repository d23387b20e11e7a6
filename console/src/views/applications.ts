import { post } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, field, h, replace, table, when } from '../dom.js';
import { errorBox } from '../messages.js';
import type { Application } from '../types.js';
import { heading, myApplications } from './parts.js';

/**
 * Applications (owners): the unit of ownership, with the activation defaults its claimed
 * devices get: home NetID (and NSID), AS-ID, and the label of the AS KEK.
 */
export async function applicationsView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Applications');
  const applications = await myApplications();
  const id = h('input', { type: 'text', name: 'id', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9](-?[a-z0-9]){1,35}' });
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off' });
  const homeNetId = h('input', { type: 'text', name: 'homeNetId', autocomplete: 'off', placeholder: 'e.g. 000013' });
  const homeNsId = h('input', { type: 'text', name: 'homeNsId', autocomplete: 'off', placeholder: '16 hex digits (optional)' });
  const asId = h('input', { type: 'text', name: 'asId', autocomplete: 'off', placeholder: 'e.g. as-1' });
  const kekLabel = h('input', { type: 'text', name: 'asKekLabel', autocomplete: 'off' });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    h('h2', {}, 'New application'),
    h('div', { class: 'grid two' },
      field('Application ID', id, '2 to 36 lower-case letters, digits and dashes, e.g. greenhouse-sensors.'),
      field('Name', name, 'Optional.'),
      field('Home NetID', homeNetId, 'The Network Server (NetID) that may activate its devices.'),
      field('Home NSID', homeNsId, 'Optional: one Network Server of that NetID.'),
      field('AS-ID', asId, 'The Application Server that receives the devices\' AppSKeys.'),
      field('AS KEK label', kekLabel, 'The key encryption key the AppSKeys are wrapped under.')),
    message,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create application')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const optional = (input: HTMLInputElement) => (input.value.trim() === '' ? {} : { [input.name]: input.value.trim() });
    post<Application>('/api/v1/applications', {
      id: id.value.trim(), ...optional(name), ...optional(homeNetId), ...optional(homeNsId), ...optional(asId), ...optional(kekLabel),
    }).then(async (created) => {
      await applicationsView(ctx);
      ctx.main.prepend(alertBox('ok', `Application ${created.id} created`, h('p', {}, h('a', { href: `#/claim?application=${created.id}` }, 'Claim a device into it'))));
    }).catch((error: unknown) => replace(message, errorBox(error)));
  });
  replace(ctx.main,
    heading('Applications'),
    applications.length === 0 ? alertBox('info', 'No applications yet', h('p', {}, 'Create one below; then claim devices into it.'))
      : table(['ID', 'Name', 'Home NetID', 'Home NSID', 'AS-ID', 'AS KEK label', 'Created', ''], applications.map((a) => [
        h('span', { class: 'mono' }, a.id), a.name ?? '—', a.homeNetId ?? '—', a.homeNsId ?? '—', a.asId ?? '—', a.asKekLabel ?? '—', when(a.createdAt),
        h('a', { href: `#/claim?application=${encodeURIComponent(a.id)}` }, 'Claim into'),
      ])),
    form);
}
