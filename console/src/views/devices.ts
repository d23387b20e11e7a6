import { get, query } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, h, replace, select, table, uid } from '../dom.js';
import { errorBox } from '../messages.js';
import type { DevicePage } from '../types.js';
import { printLabels } from './labels.js';
import { FORMAT_NAMES, deviceBadges, deviceLink, heading } from './parts.js';

const STATES = [
  ['', 'All devices'], ['unclaimed', 'Unclaimed'], ['claimed', 'Claimed'], ['exposed', 'Keys exposed'], ['keys_missing', 'Keys missing'],
] as const;
const PAGE_SIZES = [['50', '50 a page'], ['100', '100 a page'], ['250', '250 a page'], ['1000', '1,000 a page']] as const;

/**
 * The device list (a maker's inventory, an owner's devices, everything for an admin): search by
 * DevEUI or name, filter by state, cursor pages (fine for 100,000 devices), QR labels of the
 * selected ones. The filters live in the URL, so a list can be bookmarked and Back works.
 */
export async function devicesView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Devices');
  const search = ctx.query.get('search') ?? '';
  const state = ctx.query.get('state') ?? '';
  const limit = ctx.query.get('limit') ?? '50';
  const after = ctx.query.get('after') ?? '';
  // The cursors of the pages before this one (`-` for the first), for Previous.
  const previous = (ctx.query.get('prev') ?? '').split(',').filter((c) => c !== '');

  const searchInput = h('input', { type: 'search', name: 'search', value: search, placeholder: 'DevEUI (start) or name', autocomplete: 'off', id: uid('search') });
  const stateSelect = select(STATES, { name: 'state', id: uid('state') });
  stateSelect.value = state;
  const sizeSelect = select(PAGE_SIZES, { name: 'limit', id: uid('limit'), 'aria-label': 'Devices per page' });
  sizeSelect.value = PAGE_SIZES.some(([v]) => v === limit) ? limit : '50';

  const go = (params: Record<string, string>) => {
    const q = query({ search: searchInput.value.trim(), state: stateSelect.value, limit: sizeSelect.value === '50' ? '' : sizeSelect.value, ...params });
    ctx.navigate(`#/devices${q}`);
  };
  const form = h('form', { class: 'toolbar card', role: 'search' },
    h('div', {}, h('label', { for: searchInput.id }, 'Search'), searchInput),
    h('div', {}, h('label', { for: stateSelect.id }, 'State'), stateSelect),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (event) => { event.preventDefault(); go({}); });
  stateSelect.addEventListener('change', () => go({}));
  sizeSelect.addEventListener('change', () => go({}));

  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading devices…'));
  const canImport = ctx.session.role !== 'owner';
  replace(ctx.main,
    heading('Devices'),
    h('p', { class: 'muted' }, ctx.session.role === 'provisioner' ? 'Your inventory: the devices you imported.'
      : ctx.session.role === 'owner' ? 'The devices claimed into your applications.' : 'Every device on this server.'),
    form, results);

  let page: DevicePage;
  try {
    page = await get<DevicePage>(`/api/v1/devices${query({ limit: sizeSelect.value, after, state, search })}`);
  } catch (error) {
    replace(results, errorBox(error));
    return;
  }
  if (page.devices.length === 0) {
    replace(results, alertBox('info', search !== '' || state !== '' ? 'No device matches.' : 'No devices yet.',
      canImport && search === '' && state === '' ? h('p', {}, h('a', { href: '#/import' }, 'Import devices')) : null,
      ctx.session.role === 'owner' && search === '' && state === '' ? h('p', {}, h('a', { href: '#/claim' }, 'Claim a device')) : null));
    return;
  }

  const selected = new Set<string>();
  const printButton = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Print QR labels of the selected');
  const updateSelection = () => {
    printButton.disabled = selected.size === 0;
    printButton.textContent = selected.size === 0 ? 'Print QR labels of the selected' : `Print QR labels of ${selected.size} selected`;
  };
  const printable = page.devices.filter((d) => typeof d.ownerToken === 'string');
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every device of this page that has an owner token', disabled: printable.length === 0 });
  const boxes: HTMLInputElement[] = [];
  selectAll.addEventListener('change', () => {
    for (const box of boxes) {
      if (box.disabled) continue;
      box.checked = selectAll.checked;
      if (box.checked) selected.add(box.value); else selected.delete(box.value);
    }
    updateSelection();
  });
  const labelMessage = h('div', { 'aria-live': 'polite' });
  printButton.addEventListener('click', () => void printLabels([...selected], labelMessage));

  const rows = page.devices.map((device) => {
    const box = h('input', {
      type: 'checkbox', value: device.devEUI, 'aria-label': `Select ${device.devEUI}`, disabled: typeof device.ownerToken !== 'string',
      onchange: (event: Event) => {
        if ((event.target as HTMLInputElement).checked) selected.add(device.devEUI); else selected.delete(device.devEUI);
        updateSelection();
      },
    });
    boxes.push(box);
    return [box, deviceLink(device.devEUI), device.name ?? '—', deviceBadges(device), h('span', { class: 'mono' }, device.joinEUI),
      device.provenance === null ? 'Registered' : FORMAT_NAMES[device.provenance.format] ?? device.provenance.format];
  });
  const start = previous.length * Number(sizeSelect.value) + 1;
  const end = start + page.devices.length - 1;
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('span', {}, `Devices ${start.toLocaleString()}–${end.toLocaleString()} of ${page.total.toLocaleString()}`),
    h('span', { class: 'actions' },
      h('label', { class: 'sr-only', for: sizeSelect.id }, 'Devices per page'), sizeSelect,
      h('button', {
        type: 'button', class: 'secondary', disabled: previous.length === 0,
        onclick: () => go({ after: (previous[previous.length - 1] ?? '-').replace(/^-$/, ''), prev: previous.slice(0, -1).join(',') }),
      }, '← Previous'),
      h('button', {
        type: 'button', class: 'secondary', disabled: page.next === null,
        onclick: () => go({ after: page.next ?? '', prev: [...previous, after === '' ? '-' : after].join(',') }),
      }, 'Next →')));
  replace(results,
    pager,
    table([' ', 'DevEUI', 'Name', 'State', 'JoinEUI', 'Source'], rows),
    h('div', { class: 'actions' }, h('label', { class: 'inline' }, selectAll, 'Select all on this page'), printButton),
    labelMessage);
}
