import { ApiError, query, request } from '../api.js';
import type { Ctx } from '../app.js';
import { alertBox, checkbox, field, h, replace, select } from '../dom.js';
import { errorBox } from '../messages.js';
import type { Application, ImportProgress, ImportResult } from '../types.js';
import { finishImport, type AfterImport } from './import-after.js';
import { FORMAT_NAMES, heading, myApplications } from './parts.js';
import { resultPanel } from './import-results.js';

/** Rows of live results kept on screen while an import runs (all of them go into the result file). */
const LIVE_ROWS = 200;

const FORMAT_HINTS: Readonly<Record<string, string>> = {
  'microchip-atecc608': 'The manifest Microchip ships with ATECC608A-TNGLORA secure elements (JSON of signed entries). Each entry\'s signature and certificate chain are checked.',
  csv: 'The Things Stack\'s columns: dev_eui, join_eui, app_key, nwk_key, name, lorawan_version, vendor_id, vendor_profile_id, claim_authentication_code.',
  json: 'An array (or newline-separated objects) with The Things Stack\'s field names.',
};

/**
 * Import devices: choose the format, the file, the target (the inventory, or one of my
 * applications), whether the devices get a claim authentication code; then a progress bar with
 * live per-entry results, a result file with each device's owner token, and QR labels.
 */
export async function importView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Import devices');
  // Admins have applications too; device makers import into their inventory only.
  const applications: Application[] = ctx.session.role === 'admin' ? await myApplications().catch(() => []) : [];

  const format = select(Object.entries(FORMAT_NAMES), { name: 'format' });
  const formatHint = h('p', { class: 'hint' }, FORMAT_HINTS[format.value] ?? '');
  const file = h('input', { type: 'file', name: 'file', accept: '.json,.csv,.txt,.ndjson,application/json,text/csv', required: true });
  const target = select([['', 'My inventory (unclaimed)'], ...applications.map((a) => [a.id, `Application ${a.name ?? a.id}`] as const)], { name: 'target' });
  const joinEui = h('input', { type: 'text', name: 'joinEui', placeholder: 'e.g. 70B3D57ED0000000', autocomplete: 'off' });
  const joinEuiField = field('JoinEUI for rows without one', joinEui, 'Optional; CSV and JSON only.');
  const setCode = checkbox('Set claim authentication code', { checked: true, name: 'setClaimCode' });
  const validFrom = h('input', { type: 'datetime-local', name: 'validFrom' });
  const validTo = h('input', { type: 'datetime-local', name: 'validTo' });
  const validity = h('div', { class: 'grid two' },
    field('Code valid from', validFrom, 'Optional; your local time.'), field('Code valid until', validTo, 'Optional; leave empty for no end.'));
  const dryRun = checkbox('Check the file only (write nothing)', { name: 'dryRun' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Import');
  const running = h('div', {});

  const syncFormat = () => {
    formatHint.textContent = FORMAT_HINTS[format.value] ?? '';
    joinEuiField.classList.toggle('hidden', format.value === 'microchip-atecc608');
  };
  format.addEventListener('change', syncFormat);
  setCode.input.addEventListener('change', () => validity.classList.toggle('hidden', !setCode.input.checked));
  syncFormat();

  const form = h('form', { class: 'card' },
    field('File format', format), formatHint,
    field('File', file),
    field('Import into', target, applications.length === 0
      ? 'Imported devices go into your inventory, unclaimed, until their owners claim them.'
      : 'Your inventory, or straight into one of your applications (claimed by you).'),
    joinEuiField,
    h('fieldset', { class: 'plain' },
      h('legend', { class: 'sr-only' }, 'Claim authentication code'),
      setCode.wrapper,
      h('p', { class: 'hint' }, 'Each device gets the code of its row (claim_authentication_code) or a generated one: its owner needs it, or the QR label carrying it, to claim it. '
        + 'Unchecked, the codes are made invalid at once: nobody can claim the devices until you regenerate their codes.'),
      validity),
    dryRun.wrapper,
    message,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (chosen === undefined) {
      replace(message, alertBox('error', 'Choose a file', h('p', {}, 'Pick the manifest, CSV or JSON file to import.')));
      file.focus();
      return;
    }
    const after: AfterImport = {
      applicationId: target.value === '' ? null : target.value,
      setClaimCode: setCode.input.checked,
      validFrom: setCode.input.checked && validFrom.value !== '' ? new Date(validFrom.value).toISOString() : null,
      validTo: setCode.input.checked && validTo.value !== '' ? new Date(validTo.value).toISOString() : null,
    };
    replace(message);
    submit.disabled = true;
    void runImport(ctx, {
      file: chosen, format: format.value, joinEui: joinEui.value.trim(), dryRun: dryRun.input.checked, after,
    }, running).finally(() => { submit.disabled = false; });
  });

  replace(ctx.main, heading('Import devices'), form, running);
}

type ImportSummary = ImportProgress & { readonly fileSha256: string; readonly dryRun: boolean };

interface ImportJob {
  readonly file: File;
  readonly format: string;
  readonly joinEui: string;
  readonly dryRun: boolean;
  readonly after: AfterImport;
}

async function runImport(ctx: Ctx, job: ImportJob, where: HTMLElement): Promise<void> {
  const controller = new AbortController();
  ctx.onLeave(() => controller.abort());
  const bar = h('progress', { max: Math.max(job.file.size, 1), value: 0, 'aria-label': 'Import progress' });
  const percent = h('span', {}, '0 %');
  const counts = h('div', { class: 'counts', 'aria-live': 'polite' }, 'Starting…');
  const tbody = h('tbody', {});
  const liveTable = h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', 'aria-label': 'Results so far' },
    h('thead', {}, h('tr', {}, ['#', 'DevEUI', 'Result', 'Owner token'].map((t) => h('th', { scope: 'col' }, t)))), tbody));
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => controller.abort() }, 'Cancel');
  const status = h('div', { 'aria-live': 'assertive' });
  const panel = h('section', { class: 'card', 'aria-label': 'Import progress', 'data-testid': 'import-progress' },
    h('h2', {}, `Importing ${job.file.name}`),
    h('div', { class: 'progress' }, bar, h('div', { class: 'counts' }, percent, counts)),
    h('div', { class: 'actions' }, cancel), status, h('h3', {}, 'Results'), liveTable);
  replace(where, panel);
  panel.scrollIntoView({ block: 'start' });

  const results: ImportResult[] = [];
  let progress: ImportProgress = { processed: 0, imported: 0, alreadyImported: 0, failed: 0, bytes: 0 };
  let summary: ImportSummary | null = null;
  let failure: unknown = null;
  const show = () => {
    bar.value = progress.bytes;
    percent.textContent = `${Math.min(100, Math.floor((progress.bytes / Math.max(job.file.size, 1)) * 100))} %`;
    counts.textContent = `${progress.processed} entries: ${progress.imported} imported, ${progress.alreadyImported} already imported, ${progress.failed} failed`;
  };
  const addRow = (result: ImportResult) => {
    const row = h('tr', result.ok ? {} : { class: 'failed' },
      h('td', { 'data-label': '#' }, String(result.index + 1)),
      h('td', { 'data-label': 'DevEUI', class: 'mono' }, result.devEUI ?? '—'),
      h('td', { 'data-label': 'Result' }, result.ok ? (result.alreadyImported ? 'Already imported' : 'Imported') : `${result.code}: ${result.message}`,
        result.ok && result.rootKeysExposed ? h('span', { class: 'badge exposed' }, 'Keys exposed') : null),
      h('td', { 'data-label': 'Owner token', class: 'mono' }, result.ok ? result.ownerToken ?? '—' : '—'));
    tbody.insertBefore(row, tbody.firstChild);
    while (tbody.childElementCount > LIVE_ROWS) tbody.lastElementChild?.remove();
  };

  try {
    const response = await request('POST', `/api/v1/devices/import${query({
      format: job.format, dryRun: job.dryRun ? 'true' : undefined, joinEui: job.joinEui === '' ? undefined : job.joinEui,
    })}`, { raw: job.file, contentType: 'application/octet-stream', accept: 'application/x-ndjson', signal: controller.signal });
    if (response.body === null) throw new ApiError(0, 'network', 'The server sent no progress.');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (value !== undefined) buffered += value;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of done && buffered !== '' ? [...lines, buffered] : lines) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event['type'] === 'result') {
          const { type: _type, ...result } = event;
          results.push(result as unknown as ImportResult);
          addRow(result as unknown as ImportResult);
        } else if (event['type'] === 'progress') {
          progress = event as unknown as ImportProgress;
          show();
        } else if (event['type'] === 'summary') {
          summary = event as unknown as ImportSummary;
          progress = event as unknown as ImportProgress;
          show();
        } else if (event['type'] === 'error') {
          failure = new ApiError(400, String(event['code']), String(event['message']));
        }
      }
      if (done) break;
    }
  } catch (error) {
    failure = (error as Error).name === 'AbortError' ? new ApiError(0, 'cancelled', 'The import was cancelled; the devices written so far stay. Running the same file again imports only the rest.') : error;
  }
  cancel.remove();
  if (summary !== null) {
    bar.value = bar.max;
    percent.textContent = '100 %';
  }
  if (failure !== null) replace(status, errorBox(failure));
  else if (summary !== null) {
    replace(status, alertBox(summary.failed === 0 ? 'ok' : 'warn', job.dryRun ? 'Check finished (nothing written)' : 'Import finished',
      h('p', {}, `${summary.processed} entries: ${summary.imported} imported, ${summary.alreadyImported} already imported, ${summary.failed} failed.`),
      h('p', { class: 'hint' }, 'File SHA-256: ', h('span', { class: 'mono' }, summary.fileSha256))));
  }
  if (results.length === 0) return;
  const finished = job.dryRun || failure !== null ? results : await finishImport(results, job.after, status);
  panel.appendChild(resultPanel(finished, job.file.name, job.dryRun));
}
