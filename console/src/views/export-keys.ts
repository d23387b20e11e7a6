import { post, seg } from '../api.js';
import { alertBox, h, replace } from '../dom.js';
import { errorBox } from '../messages.js';
import type { Device } from '../types.js';

/**
 * Export root keys, behind a warning and a typed confirmation (the DevEUI): exporting marks the
 * device "keys exposed" permanently, for everyone who sees it.
 */
export function exportSection(device: Device, redraw: (notice?: HTMLElement | null) => Promise<void>): HTMLElement {
  const hasKeys = device.rootKeysAvailable.appKey || device.rootKeysAvailable.nwkKey;
  const message = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const section = h('section', { class: 'card danger-zone', 'aria-label': 'Export root keys' }, h('h2', {}, 'Export root keys'), body, message);
  const missing = hasKeys ? null : alertBox('info', 'Keys not available',
    h('p', {}, 'Deed holds no root keys for this device (keys missing): a secure element keeps them until its vendor\'s key batch is attached. '
      + 'An export now returns no keys, yet it is recorded and marks the device exposed all the same.'));
  const start = h('button', { type: 'button', class: 'danger' }, 'Export root keys…');
  replace(body,
    missing,
    h('p', {}, device.rootKeysExposed ? 'The keys were exported before; exporting again records who and when in the audit log.'
      : 'The root keys never left Deed\'s custody so far.'),
    h('div', { class: 'actions' }, start));
  start.addEventListener('click', () => {
    const confirmInput = h('input', { type: 'text', id: `confirm-${device.devEUI}`, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters' });
    const go = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Export root keys now');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = h('form', {},
      alertBox('error', 'Exposure is permanent',
        h('p', {}, 'Once exported, this device is marked "keys exposed" for ever: everyone who sees it, its future owners included, '
          + 'will see that its root keys left custody. Whoever has the keys can impersonate the device and read its traffic. This cannot be undone.')),
      h('label', { for: confirmInput.id }, `Type the DevEUI ${device.devEUI} to confirm`),
      confirmInput,
      h('div', { class: 'actions' }, go, cancel));
    confirmInput.addEventListener('input', () => { go.disabled = confirmInput.value.trim().toUpperCase() !== device.devEUI; });
    cancel.addEventListener('click', () => { void redraw(); });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (confirmInput.value.trim().toUpperCase() !== device.devEUI) return;
      go.disabled = true;
      post<Device>(`/api/v1/devices/${seg(device.devEUI)}/root-keys`)
        .then(async (exported) => {
          const keys = exported.rootKeys ?? { appKey: null, nwkKey: null };
          const none = keys.appKey === null && keys.nwkKey === null;
          const shown = alertBox('warn', 'Root keys exported: this device is now marked keys exposed',
            none ? h('p', {}, 'Keys not available: Deed holds no root keys for this device, so none were returned.')
              : h('p', {}, 'Copy them now into a safe place; they are not shown again unless you export again.'),
            h('pre', { class: 'secret', 'data-testid': 'root-keys' }, `AppKey ${keys.appKey ?? 'not available'}\nNwkKey ${keys.nwkKey ?? 'not available'}`));
          shown.tabIndex = -1;
          await redraw(shown);
        })
        .catch((error: unknown) => { go.disabled = false; replace(message, errorBox(error)); });
    });
    replace(body, form);
    confirmInput.focus();
  });
  return section;
}
