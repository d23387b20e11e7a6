import { ApiError, api, post, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, checkbox, facts, field, h, replace } from '../dom.js';
import { errorBox } from '../messages.js';
import { cameraProblem, decodeImageFile, describeQr, startCameraScan, type CameraScan } from '../qr.js';
import type { Application, Device } from '../types.js';
import { applicationSelect, deviceLink, heading, myApplications } from './parts.js';

/** What identifies the device to claim: the QR text, or the three typed fields. */
type Proof = { qr: string } | { joinEui: string; devEui: string; ownerToken: string };

/**
 * Claim a device (owners): scan its QR label with the camera, upload a photo of the label, or
 * type JoinEUI, DevEUI and owner token. The QR code is decoded here in the browser; the claim
 * is `POST /api/v1/claims`.
 */
export async function claimView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Claim device');
  const applications = await myApplications();
  if (applications.length === 0) {
    replace(ctx.main, heading('Claim device'), alertBox('info', 'Create an application first',
      h('p', {}, 'Devices are claimed into one of your applications, which holds their activation defaults.'),
      h('p', {}, h('a', { class: 'button', href: '#/applications' }, 'Create an application'))));
    return;
  }
  const application = applicationSelect(applications, { name: 'applicationId' });
  const preset = ctx.query.get('application');
  if (preset !== null && applications.some((a) => a.id === preset)) application.value = preset;
  const lock = checkbox('Lock the device: nobody else may claim it while I hold it', { name: 'lock' });
  const result = h('div', { 'aria-live': 'assertive', 'data-testid': 'claim-result' });
  let scan: CameraScan | null = null;
  const stopCamera = () => { scan?.stop(); scan = null; };
  ctx.onLeave(stopCamera);

  const buttons: HTMLButtonElement[] = [];
  const setBusy = (busy: boolean) => { for (const b of buttons) b.disabled = busy; };

  async function claim(proof: Proof): Promise<void> {
    setBusy(true);
    replace(result, h('p', { class: 'loading' }, 'Claiming…'));
    const devEui = 'qr' in proof ? describeQr(proof.qr).devEui : proof.devEui;
    try {
      const held = devEui === null ? null : await alreadyMine(devEui.toUpperCase(), applications);
      if (held !== null) {
        replace(result, alertBox('warn', 'Device already claimed',
          h('p', {}, 'You already hold ', deviceLink(held.devEUI), ` in application ${held.applicationId ?? '—'}: there is nothing to claim.`)));
        setBusy(false);
        return;
      }
      const device = await post<Device>('/api/v1/claims', { ...proof, applicationId: application.value, lock: lock.input.checked });
      replace(scanned);
      replace(result, alertBox('ok', 'Device claimed',
        h('p', {}, deviceLink(device.devEUI), ` is now yours, in application ${device.applicationId ?? application.value}.`),
        h('p', { class: 'hint' }, 'Its printed code is spent: the device page shows its new owner token, for handing it on later.')),
        device.rootKeysExposed ? alertBox('warn', 'Keys exposed', h('p', {},
          `This device's root keys were exported from Deed (by ${device.rootKeysExposedBy ?? 'its maker'}): whoever has them can act as the device.`)) : null);
      setBusy(false);
    } catch (error) {
      replace(result, errorBox(error, () => setBusy(false)));
      if (!(error instanceof ApiError && error.code === 'rate_limited')) setBusy(false);
    }
    result.querySelector<HTMLElement>('.alert')?.setAttribute('tabindex', '-1');
    result.querySelector<HTMLElement>('.alert')?.focus();
  }

  // The three ways in: camera, photo, typing. One panel shows at a time.
  const scanned = h('div', { 'aria-live': 'polite' });
  const showScanned = (text: string) => {
    const described = describeQr(text);
    const claimButton = h('button', { type: 'button', onclick: () => void claim({ qr: text }) }, 'Claim this device');
    buttons.push(claimButton);
    replace(scanned, h('div', { class: 'card', 'data-testid': 'scanned' },
      h('h3', {}, 'QR code read'),
      facts([['DevEUI', described.devEui], ['JoinEUI', described.joinEui], ['Owner token', described.hasToken ? 'on the label' : 'not on the label']]),
      described.hasToken ? null : alertBox('warn', 'This QR code carries no owner token', h('p', {}, 'Type the owner token instead (Type it in).')),
      h('div', { class: 'actions' }, claimButton)));
    if (described.hasToken) claimButton.focus();
  };

  const video = h('video', { autoplay: true, muted: true, playsinline: true, 'aria-label': 'Camera preview' });
  const cameraBox = h('div', { class: 'camera hidden' }, video, h('div', { class: 'frame' }));
  const cameraMessage = h('div', { 'aria-live': 'polite' });
  const startButton = h('button', { type: 'button' }, 'Start camera');
  const stopButton = h('button', { type: 'button', class: 'secondary hidden' }, 'Stop camera');
  startButton.addEventListener('click', () => {
    replace(cameraMessage, h('p', { class: 'loading' }, 'Starting the camera… point it at the QR code on the label.'));
    replace(scanned);
    let found = false;
    startCameraScan(video, (text) => {
      found = true;
      scan = null;
      cameraBox.classList.add('hidden');
      stopButton.classList.add('hidden');
      replace(cameraMessage);
      showScanned(text);
    }).then((running) => {
      if (found) return;
      scan = running;
      cameraBox.classList.remove('hidden');
      stopButton.classList.remove('hidden');
      replace(cameraMessage, h('p', { class: 'hint' }, 'Hold the label inside the frame, about a hand\'s width away.'));
    }).catch((error: unknown) => replace(cameraMessage, alertBox('error', 'Camera not available', h('p', {}, cameraProblem(error)))));
  });
  stopButton.addEventListener('click', () => { stopCamera(); cameraBox.classList.add('hidden'); stopButton.classList.add('hidden'); replace(cameraMessage); });
  const cameraPanel = h('div', { role: 'tabpanel' },
    h('p', {}, 'Point your phone\'s camera at the QR code on the device\'s label.'),
    h('div', { class: 'actions' }, startButton, stopButton), cameraMessage, cameraBox);

  const photo = h('input', { type: 'file', accept: 'image/*', name: 'photo' });
  const photoMessage = h('div', { 'aria-live': 'polite' });
  photo.addEventListener('change', () => {
    const chosen = photo.files?.[0];
    if (chosen === undefined) return;
    replace(scanned);
    replace(photoMessage, h('p', { class: 'loading' }, 'Reading the QR code…'));
    decodeImageFile(chosen).then((text) => {
      if (text === null) {
        replace(photoMessage, alertBox('error', 'No QR code found', h('p', {}, 'Take the photo closer, square on and sharp, with the whole code in the picture; or type the code in.')));
        return;
      }
      replace(photoMessage);
      showScanned(text);
    }).catch(() => replace(photoMessage, alertBox('error', 'This file is not an image the browser can read', h('p', {}, 'Use a PNG or JPEG photo of the label.'))));
  });
  const photoPanel = h('div', { role: 'tabpanel' }, field('Photo of the label', photo, 'A PNG or JPEG; on a phone you may take the photo now.'), photoMessage);

  const joinEui = h('input', { type: 'text', name: 'joinEui', autocomplete: 'off', spellcheck: 'false', placeholder: '16 hex digits' });
  const devEui = h('input', { type: 'text', name: 'devEui', autocomplete: 'off', spellcheck: 'false', placeholder: '16 hex digits', required: true });
  const token = h('input', { type: 'text', name: 'ownerToken', autocomplete: 'off', spellcheck: 'false', required: true });
  const typedSubmit = h('button', { type: 'submit' }, 'Claim device');
  buttons.push(typedSubmit);
  const typedForm = h('form', { role: 'tabpanel' },
    h('div', { class: 'grid two' }, field('JoinEUI', joinEui, 'Also called AppEUI; optional.'), field('DevEUI', devEui)),
    field('Owner token (claim authentication code)', token),
    h('div', { class: 'actions' }, typedSubmit));
  typedForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const d = devEui.value.replace(/[\s:-]/g, '');
    if (d === '' || token.value.trim() === '') {
      replace(result, alertBox('error', 'Missing input', h('p', {}, 'Give the DevEUI and the owner token.')));
      (d === '' ? devEui : token).focus();
      return;
    }
    void claim({ joinEui: joinEui.value.replace(/[\s:-]/g, ''), devEui: d, ownerToken: token.value.trim() });
  });

  const panels: [string, HTMLElement][] = [['Scan with camera', cameraPanel], ['Upload a photo', photoPanel], ['Type it in', typedForm]];
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'How to identify the device' });
  const select = (index: number) => {
    panels.forEach(([, panel], i) => panel.classList.toggle('hidden', i !== index));
    [...tabs.children].forEach((tab, i) => { tab.setAttribute('aria-selected', String(i === index)); (tab as HTMLElement).tabIndex = i === index ? 0 : -1; });
    if (index !== 0) stopCamera();
    replace(scanned);
  };
  panels.forEach(([label, panel], i) => {
    const tab = h('button', { type: 'button', role: 'tab', id: `tab-${i}`, 'aria-controls': `panel-${i}` }, label);
    panel.id = `panel-${i}`;
    panel.setAttribute('aria-labelledby', tab.id);
    tab.addEventListener('click', () => select(i));
    tab.addEventListener('keydown', (event) => {
      const key = (event as KeyboardEvent).key;
      if (key !== 'ArrowRight' && key !== 'ArrowLeft') return;
      const next = (i + (key === 'ArrowRight' ? 1 : panels.length - 1)) % panels.length;
      select(next);
      (tabs.children[next] as HTMLElement).focus();
    });
    tabs.appendChild(tab);
  });
  const initial = ctx.query.get('by') === 'photo' ? 1 : ctx.query.get('by') === 'code' ? 2 : 0;
  select(initial);

  replace(ctx.main,
    heading('Claim device'),
    h('section', { class: 'card' },
      field('Claim into application', application),
      lock.wrapper),
    h('section', { class: 'card' }, tabs, ...panels.map(([, panel]) => panel), scanned),
    result);
}

/** The device when I already hold it (in one of my applications), else null. */
async function alreadyMine(devEui: string, applications: readonly Application[]): Promise<Device | null> {
  if (!/^[0-9A-F]{16}$/.test(devEui)) return null;
  try {
    const device = await api<Device>('GET', `/api/v1/devices/${seg(devEui)}`);
    return device.state === 'claimed' && applications.some((a) => a.id === device.applicationId) ? device : null;
  } catch {
    return null;
  }
}
