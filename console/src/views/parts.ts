import { get } from '../api.js';
import { h, select, type Child } from '../dom.js';
import type { Application, Device } from '../types.js';

/** The custody badges of a device, the same wherever it appears: claimed or not, keys exposed, keys missing, locked. */
export function deviceBadges(device: Device): HTMLSpanElement {
  const missing = !device.rootKeysAvailable.appKey && !device.rootKeysAvailable.nwkKey;
  return h('span', { class: 'badges' },
    device.state === 'claimed'
      ? h('span', { class: 'badge claimed' }, device.applicationId === null ? 'Claimed' : `Claimed · ${device.applicationId}`)
      : h('span', { class: 'badge unclaimed' }, 'Unclaimed'),
    device.rootKeysExposed ? h('span', { class: 'badge exposed', title: 'The root keys were exported: exposure is permanent' }, 'Keys exposed') : null,
    missing ? h('span', { class: 'badge missing', title: 'Deed holds no root keys for this device' }, 'Keys missing') : null,
    device.locked ? h('span', { class: 'badge locked' }, 'Locked') : null);
}

/** A page heading with optional content beside it. */
export function heading(title: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', {}, title), ...extra);
}

/** The account's applications, or null when the role has none (a device maker). */
export async function myApplications(): Promise<Application[]> {
  return get<Application[]>('/api/v1/applications');
}

/** A `<select>` of applications. */
export function applicationSelect(applications: readonly Application[], attrs: Record<string, string> = {}): HTMLSelectElement {
  return select(applications.map((a) => [a.id, a.name === null ? a.id : `${a.name} (${a.id})`] as const), attrs);
}

/** Format names as The Things Stack's console shows them. */
export const FORMAT_NAMES: Readonly<Record<string, string>> = {
  'microchip-atecc608': 'Microchip ATECC608A-TNGLORA Manifest File',
  csv: 'CSV',
  json: 'JSON',
};

/** A device link by DevEUI. */
export function deviceLink(devEui: string): HTMLAnchorElement {
  return h('a', { href: `#/devices/${devEui}`, class: 'mono' }, devEui);
}
