import { ApiError, post } from '../api.js';
import type { Ctx } from '../app.js';
import { claimRowsFromText, csvLine, type ClaimRow } from '../csv.js';
import { alertBox, checkbox, download, field, h, replace, table } from '../dom.js';
import { errorBox, explain } from '../messages.js';
import type { BulkClaimResult } from '../types.js';
import { applicationSelect, deviceLink, heading, myApplications } from './parts.js';

/** Rows per request (the server takes up to 10,000; smaller parts show progress). */
const PART = 500;

/**
 * Bulk claim from a file (owners): a CSV with dev_eui, join_eui, claim_authentication_code (or a
 * qr column; an import's result file works), or one QR text per line; one result per row.
 */
export async function bulkClaimView(ctx: Ctx): Promise<void> {
  ctx.setTitle('Bulk claim');
  const applications = await myApplications();
  if (applications.length === 0) {
    replace(ctx.main, heading('Bulk claim'), alertBox('info', 'Create an application first', h('p', {}, h('a', { href: '#/applications' }, 'Applications'))));
    return;
  }
  const application = applicationSelect(applications, { name: 'applicationId' });
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.txt,text/csv,text/plain', required: true });
  const lock = checkbox('Lock the devices: nobody else may claim them while I hold them', { name: 'lock' });
  const submit = h('button', { type: 'submit' }, 'Claim devices');
  const message = h('div', { 'aria-live': 'polite' });
  const output = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    field('Claim into application', application),
    field('File', file, 'CSV with dev_eui, join_eui (or app_eui) and claim_authentication_code columns, or a qr column; or one QR code text per line.'),
    lock.wrapper, message, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (chosen === undefined) {
      replace(message, alertBox('error', 'Choose a file', h('p', {}, 'Pick the CSV or text file with the devices to claim.')));
      file.focus();
      return;
    }
    replace(message);
    submit.disabled = true;
    void (async () => {
      let rows: ClaimRow[];
      try {
        rows = claimRowsFromText(await chosen.text());
      } catch (error) {
        replace(message, alertBox('error', 'The file cannot be read', h('p', {}, (error as Error).message)));
        submit.disabled = false;
        return;
      }
      await run(rows, application.value, lock.input.checked, output, chosen.name);
      submit.disabled = false;
    })();
  });
  replace(ctx.main, heading('Bulk claim'), form, output);
}

async function run(rows: readonly ClaimRow[], applicationId: string, lock: boolean, output: HTMLElement, fileName: string): Promise<void> {
  const bar = h('progress', { max: rows.length, value: 0, 'aria-label': 'Claim progress' });
  const counts = h('p', {}, `0 of ${rows.length} rows`);
  replace(output, h('section', { class: 'card' }, h('h2', {}, 'Claiming'), h('div', { class: 'progress' }, bar, counts)));
  const results: BulkClaimResult[] = [];
  try {
    for (let i = 0; i < rows.length; i += PART) {
      const answer = await post<{ results: BulkClaimResult[] }>('/api/v1/claims/bulk', {
        applicationId, ...(lock ? { lock: true } : {}), rows: rows.slice(i, i + PART),
      });
      results.push(...answer.results.map((r) => ({ ...r, index: r.index + i })));
      bar.value = results.length;
      counts.textContent = `${results.length} of ${rows.length} rows`;
    }
  } catch (error) {
    output.appendChild(errorBox(error));
  }
  const failed = results.filter((r) => !r.ok).length;
  const csv = () => results.reduce((text, r) => text + (r.ok
    ? csvLine([r.index + 1, r.devEUI, 'claimed', r.ownerToken, '', ''])
    : csvLine([r.index + 1, r.devEUI ?? '', 'failed', '', r.code, r.message])), csvLine(['row', 'dev_eui', 'result', 'owner_token', 'error_code', 'error_message']));
  output.appendChild(h('section', { class: 'card', 'data-testid': 'bulk-results' },
    alertBox(failed === 0 ? 'ok' : 'warn', `${results.length - failed} claimed, ${failed} failed`,
      h('p', {}, failed === 0 ? 'Every device is now in your application.' : 'The failed rows are marked below with the reason.')),
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'secondary', onclick: () => download(`${fileName.replace(/\.[^.]*$/, '')}-claims.csv`, 'text/csv', csv()),
    }, 'Download results (CSV)')),
    table(['Row', 'DevEUI', 'Result'], results.map((r) => [
      String(r.index + 1),
      r.devEUI === undefined ? '—' : r.ok ? deviceLink(r.devEUI) : r.devEUI,
      r.ok ? 'Claimed' : `${rowMessage(r.code, r.message)}`,
    ]), (i) => (results[i]?.ok === false ? { class: 'failed' } : {}))));
}

function rowMessage(code: string, message: string): string {
  // The server counts rows from 0; the table from 1.
  if (code === 'duplicate') return `Duplicate: ${message.replace(/row (\d+)/, (_all, n: string) => `row ${Number(n) + 1}`)}`;
  const known = explain(new ApiError(400, code, message));
  return `${known.title}: ${message}`;
}
