import { api, del, get, patch, put, query, request, seg } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, checkbox, facts, field, h, replace, table, when } from '../dom.js';
import { errorBox } from '../messages.js';
import type { AuditPage, AuditEvent, Device } from '../types.js';
import { exportSection } from './export-keys.js';
import { printLabels } from './labels.js';
import { FORMAT_NAMES, deviceBadges, heading } from './parts.js';

/** Pages of audit events read for the trail (1,000 each). */
const MAX_AUDIT_PAGES = 5;

/** What the page shows beside the device: its session count and audit trail. */
interface Activity {
  readonly sessions: number;
  readonly events: AuditEvent[];
}

/**
 * One device: identity, state and custody, provenance, activation settings, owner token and QR
 * code, nonces and sessions, its audit trail; release (holder) and root-key export (maker).
 */
export async function deviceView(ctx: Ctx): Promise<void> {
  const devEui = (ctx.params['devEui'] ?? '').toUpperCase();
  ctx.setTitle(`Device ${devEui}`);
  const path = `/api/v1/devices/${seg(devEui)}`;
  const [device, activity] = await Promise.all([get<Device>(`${path}?nonces=true`), loadActivity(path)]);
  draw(ctx, device, activity);
}

async function loadActivity(path: string): Promise<Activity> {
  const [sessions, first] = await Promise.all([get<{ sessions: number }>(`${path}/sessions`), get<AuditPage>(`${path}/audit?limit=1000`)]);
  let page = first;
  const events = [...page.events];
  for (let n = 1; page.next !== null && n < MAX_AUDIT_PAGES; n++) {
    page = await get<AuditPage>(`${path}/audit${query({ limit: 1000, afterSeq: page.next })}`);
    events.push(...page.events);
  }
  return { sessions: sessions.sessions, events };
}

function draw(ctx: Ctx, device: Device, activity: Activity, notice: HTMLElement | null = null): void {
  const role = ctx.session.role;
  const redraw = async (next: HTMLElement | null = null) => {
    const path = `/api/v1/devices/${seg(device.devEUI)}`;
    const [fresh, freshActivity] = await Promise.all([get<Device>(`${path}?nonces=true`), loadActivity(path)]);
    draw(ctx, fresh, freshActivity, next);
    if (next !== null) next.focus();
  };
  replace(ctx.main,
    h('p', {}, h('a', { href: '#/devices' }, '← Devices')),
    heading(`Device ${device.devEUI}`),
    h('p', {}, deviceBadges(device), device.name === null ? null : h('span', { class: 'muted' }, ` ${device.name}`)),
    notice,
    device.rootKeysExposed
      ? alertBox('warn', 'Root keys exposed', h('p', {}, `The root keys were exported by ${device.rootKeysExposedBy ?? 'someone'} on ${when(device.rootKeysExposedAt)}. `
        + 'Exposure is permanent: whoever has the keys can act as this device.'))
      : null,
    section('Identity', facts([
      ['DevEUI', h('span', { class: 'mono' }, device.devEUI)],
      ['JoinEUI', h('span', { class: 'mono' }, device.joinEUI)],
      ['Name', device.name],
      ['LoRaWAN version', device.macVersion],
      ['Vendor ID / profile', device.vendorId === null && device.vendorProfileId === null ? null : `${device.vendorId ?? '—'} / ${device.vendorProfileId ?? '—'}`],
      ['Secure element', device.secureElement === null ? null
        : `${device.secureElement.model} ${device.secureElement.partNumber} (generation ${device.secureElement.generation}), serial ${device.secureElement.uniqueId}`],
    ])),
    section('State and custody', facts([
      ['State', device.state === 'claimed' ? `Claimed into ${device.applicationId ?? '—'}` : 'Unclaimed (in the maker\'s inventory)'],
      ['Claimed at', device.claimedAt === null ? null : when(device.claimedAt)],
      ['Locked', device.locked ? 'Yes: nobody else may claim it' : 'No'],
      ['Root keys in custody', keysText(device)],
      ['Root keys exposed', device.rootKeysExposed ? `Yes, since ${when(device.rootKeysExposedAt)} (by ${device.rootKeysExposedBy ?? '—'})` : 'No: never exported'],
    ])),
    section('Provenance', device.provenance === null ? h('p', {}, 'Registered one by one (not imported from a file).') : facts([
      ['Format', FORMAT_NAMES[device.provenance.format] ?? device.provenance.format],
      ['Imported by', device.provenance.importedBy],
      ['Imported at', when(device.provenance.importedAt)],
      ['File SHA-256', device.provenance.fileSha256 === null ? 'the import did not finish reading the file' : h('span', { class: 'mono' }, device.provenance.fileSha256)],
    ])),
    activationSection(device, redraw),
    'ownerToken' in device ? ownerTokenSection(device, redraw) : null,
    section('LoRaWAN state', facts([
      ['Sessions', String(activity.sessions)],
      ['Next JoinNonce', device.nonces === undefined ? null : String(device.nonces.nextJoinNonce)],
      ['Last DevNonce', device.nonces?.lastDevNonce === null || device.nonces === undefined ? 'none yet' : String(device.nonces.lastDevNonce)],
      ['DevNonces used', device.nonces === undefined ? null : device.nonces.usedDevNonces.length === 0 ? 'none yet' : usedNonces(device.nonces.usedDevNonces)],
      ['Resets JoinNonces', device.resetsJoinNonces ? 'Yes' : 'No'],
    ])),
    section('Audit trail', trail(activity.events)),
    device.state === 'claimed' && (role === 'owner' || role === 'admin') ? releaseSection(device) : null,
    role === 'provisioner' || role === 'admin' ? exportSection(device, redraw) : null,
  );
}

function section(title: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...content);
}

function keysText(device: Device): string {
  const { appKey, nwkKey } = device.rootKeysAvailable;
  if (!appKey && !nwkKey) return 'None: keys missing (they stay in the secure element, or were never given to Deed)';
  return [appKey ? 'AppKey' : null, nwkKey ? 'NwkKey' : null].filter((k) => k !== null).join(' and ');
}

function usedNonces(nonces: readonly number[]): string {
  const shown = nonces.slice(-20).join(', ');
  return nonces.length > 20 ? `${nonces.length} (last 20: ${shown})` : shown;
}

const ACTIONS: Readonly<Record<string, string>> = {
  'device.import': 'Imported',
  'device.created': 'Registered',
  'device.keys_exported': 'Root keys exported',
  'device.keys_attached': 'Root keys attached',
  'device.token_changed': 'Owner token changed',
  'device.claimed': 'Claimed',
  'device.claim_failed': 'Claim refused',
  'device.released': 'Released',
  'device.removed': 'Removed',
};

function trail(events: readonly AuditEvent[]): HTMLElement {
  if (events.length === 0) return h('p', {}, 'No events recorded.');
  const newest = [...events].reverse();
  return table(['When', 'What', 'Who', 'Details'], newest.map((e) => [
    when(e.at),
    `${ACTIONS[e.action] ?? e.action}${e.outcome === 'failure' ? ' (failed)' : ''}`,
    e.actor,
    Object.entries(e.details).map(([k, v]) => `${k}: ${String(v)}`).join(', ') || '—',
  ]), (i) => (newest[i]?.outcome === 'failure' ? { class: 'failed' } : {}));
}

function activationSection(device: Device, redraw: (notice?: HTMLElement | null) => Promise<void>): HTMLElement {
  const name = h('input', { type: 'text', name: 'name', value: device.name ?? '', maxlength: 255 });
  const homeNetId = h('input', { type: 'text', name: 'homeNetId', value: device.homeNetId ?? '', placeholder: 'e.g. 000013', autocomplete: 'off' });
  const homeNsId = h('input', { type: 'text', name: 'homeNsId', value: device.homeNsId ?? '', placeholder: '16 hex digits', autocomplete: 'off' });
  const asId = h('input', { type: 'text', name: 'asId', value: device.asId ?? '', autocomplete: 'off' });
  const resets = checkbox('The device resets its JoinNonce counter (LoRaWAN 1.0.x without non-volatile nonces)', { checked: device.resetsJoinNonces });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'grid two' },
    field('Name', name), field('Home NetID', homeNetId, 'The Network Server allowed to activate it'),
    field('Home NSID', homeNsId, 'Optional: one Network Server of that NetID'), field('AS-ID', asId, 'The Application Server that receives its AppSKey'),
    h('div', {}, resets.wrapper, h('p', { class: 'hint' }, `AS KEK label: ${device.asKekLabel ?? 'none'} (set by the claim)`)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save activation settings')), message);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (input: HTMLInputElement) => (input.value.trim() === '' ? null : input.value.trim());
    patch<Device>(`/api/v1/devices/${seg(device.devEUI)}`, {
      name: value(name), homeNetId: value(homeNetId), homeNsId: value(homeNsId), asId: value(asId), resetsJoinNonces: resets.input.checked,
    }).then(async () => {
      await redraw(alertBox('ok', 'Activation settings saved.'));
    }).catch((error: unknown) => replace(message, errorBox(error)));
  });
  return section('Activation settings', form);
}

function ownerTokenSection(device: Device, redraw: (notice?: HTMLElement | null) => Promise<void>): HTMLElement {
  const token = device.ownerToken ?? null;
  const message = h('div', { 'aria-live': 'polite' });
  const tokenText = h('span', { class: 'secret', 'data-testid': 'owner-token' }, token === null ? 'none' : '••••••••••••');
  const show = h('button', {
    type: 'button', class: 'secondary', disabled: token === null,
    onclick: () => {
      const hidden = tokenText.textContent !== token;
      tokenText.textContent = hidden ? token : '••••••••••••';
      show.textContent = hidden ? 'Hide' : 'Show';
      show.setAttribute('aria-pressed', String(hidden));
    },
  }, 'Show');
  const image = h('img', { class: 'qr-image', alt: `TR005 QR code of ${device.devEUI}, with its owner token` });
  if (token !== null) {
    request('GET', `/api/v1/devices/${seg(device.devEUI)}/qr?format=png`, { accept: 'image/png' })
      .then(async (response) => { image.src = URL.createObjectURL(await response.blob()); })
      .catch((error: unknown) => replace(message, errorBox(error)));
  }
  const validity = device.ownerTokenValidTo !== null && device.ownerTokenValidTo !== undefined && new Date(device.ownerTokenValidTo) < new Date()
    ? alertBox('warn', 'This code is no longer valid', h('p', {}, 'Its validity ended: claims with it fail until you set a new validity or regenerate it.'))
    : null;
  const regenerate = h('button', {
    type: 'button', class: 'secondary',
    onclick: () => {
      if (!window.confirm('Replace the owner token with a new random one? Labels printed before stop working for claiming.')) return;
      put<Device>(`/api/v1/devices/${seg(device.devEUI)}/owner-token`, { regenerate: true, validFrom: null, validTo: null })
        .then(() => redraw(alertBox('ok', 'New owner token set.', h('p', {}, 'Print new labels: the old ones no longer claim the device.'))))
        .catch((error: unknown) => replace(message, errorBox(error)));
    },
  }, 'Regenerate');
  return section('Owner token (claim authentication code)',
    h('p', { class: 'hint' }, 'Whoever has this code (or the QR label) can claim the device.'),
    validity,
    facts([
      ['Owner token', h('span', {}, tokenText, ' ', show)],
      ['Valid from', device.ownerTokenValidFrom === null ? 'always' : when(device.ownerTokenValidFrom)],
      ['Valid until', device.ownerTokenValidTo === null ? 'no end' : when(device.ownerTokenValidTo)],
    ]),
    token === null ? null : image,
    h('div', { class: 'actions' }, regenerate, token === null ? null : h('button', {
      type: 'button', class: 'secondary', onclick: () => void printLabels([device.devEUI], message),
    }, 'Print QR label')),
    message);
}

function releaseSection(device: Device): HTMLElement {
  const message = h('div', { 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button', class: 'secondary',
    onclick: () => {
      if (!window.confirm(`Release ${device.devEUI}? It leaves your application and goes back to its maker's inventory with a new owner token.`)) return;
      button.disabled = true;
      del<{ devEUI: string; ownerToken: string }>(`/api/v1/devices/${seg(device.devEUI)}/claim`, {})
        .then((released) => {
          replace(message, alertBox('ok', `Released ${released.devEUI}`,
            h('p', {}, 'Give the next owner this new owner token (the old one no longer works):'),
            h('p', { class: 'secret', 'data-testid': 'released-token' }, released.ownerToken)));
        })
        .catch((error: unknown) => { button.disabled = false; replace(message, errorBox(error)); });
    },
  }, 'Release device');
  return section('Release', h('p', {}, 'Releasing gives the device up: it returns to its maker\'s inventory and gets a new owner token for the next owner.'),
    h('div', { class: 'actions' }, button), message);
}

/** Used by other views: a device's current view. */
export function fetchDevice(devEui: string): Promise<Device> {
  return api<Device>('GET', `/api/v1/devices/${seg(devEui)}`);
}
