import { request, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, facts, field, h, replace } from '../dom.js';
import { errorBox } from '../messages.js';
import { applicationSelect, heading, myApplications } from './parts.js';

/**
 * Claim a device by its name and the secret key it shows, while the device's claim window is
 * open (the device opened it, e.g. after a button press): the ThingsBoard-compatible
 * `POST /api/customer/device/{deviceName}/claim` with `{secretKey}`.
 */
export async function claimByNameView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Claim by name');
  const applications = await myApplications();
  if (applications.length === 0) {
    replace(ctx.main, heading('Claim by name'), alertBox('info', 'Create an application first', h('p', {}, h('a', { href: '#/applications' }, 'Applications'))));
    return;
  }
  const application = applicationSelect(applications, { name: 'applicationId' });
  const name = h('input', { type: 'text', name: 'deviceName', autocomplete: 'off', spellcheck: 'false', required: true });
  const secret = h('input', { type: 'text', name: 'secretKey', autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit' }, 'Claim device');
  const result = h('div', { 'aria-live': 'assertive', 'data-testid': 'claim-result' });
  const form = h('form', { class: 'card' },
    h('p', {}, 'Some devices open a short claim window themselves (after a button press, or at first start) and show a secret key. '
      + 'Claim such a device here by its name and that secret, before the window closes.'),
    field('Claim into application', application),
    field('Device name', name),
    field('Secret key', secret, 'As the device shows it; leave empty when the device has none.'),
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const deviceName = name.value.trim();
    if (deviceName === '') {
      replace(result, alertBox('error', 'Missing input', h('p', {}, 'Give the device\'s name.')));
      name.focus();
      return;
    }
    submit.disabled = true;
    replace(result, h('p', { class: 'loading' }, 'Claiming…'));
    void (async () => {
      try {
        const response = await request('POST', `/api/customer/device/${seg(deviceName)}/claim`, {
          body: { secretKey: secret.value, applicationId: application.value }, anyStatus: true,
        });
        const body: unknown = await response.json().catch(() => null);
        if (response.ok && typeof body === 'object' && body !== null && (body as { response?: unknown }).response === 'SUCCESS') {
          const device = (body as { device?: { name?: string; applicationId?: string | null; id?: string } }).device ?? {};
          replace(result, alertBox('ok', 'Device claimed',
            facts([['Device', device.name ?? deviceName], ['Application', device.applicationId ?? application.value]])));
        } else if (response.status === 400 && body === 'CLAIMED') {
          replace(result, alertBox('error', 'Device already claimed', h('p', {}, `${deviceName} is already claimed. Its holder must release it before anyone else can claim it.`)));
        } else if (response.status === 400 && body === 'FAILURE') {
          replace(result, alertBox('error', 'Claim failed', h('p', {},
            'The device has no open claim window, the window has closed, or the secret key is wrong. Open the window on the device again (e.g. press its button) and retry with the secret it shows.')));
        } else if (response.status === 404) {
          replace(result, alertBox('error', 'Unknown device', h('p', {}, `No device named ${deviceName} can be claimed here. Check the name (it is case-sensitive).`)));
        } else {
          const { problemOf } = await import('../api.js');
          replace(result, errorBox(await problemOf(new Response(JSON.stringify(body), { status: response.status, headers: response.headers }))));
        }
      } catch (error) {
        replace(result, errorBox(error));
      }
      submit.disabled = false;
    })();
  });
  replace(ctx.main, heading('Claim by name'), form, result);
  name.focus();
}
