import { csvLine } from '../csv.js';
import { download, h } from '../dom.js';
import type { ImportResult } from '../types.js';
import { printLabels } from './labels.js';

/**
 * After an import: the result file (CSV, with each device's owner token under The Things
 * Stack's column name, so it also serves as a bulk-claim file; or JSON), and QR labels.
 */
export function resultPanel(results: readonly ImportResult[], fileName: string, dryRun: boolean): HTMLElement {
  const base = fileName.replace(/\.[^.]*$/, '') || 'import';
  const withTokens = results.filter((r): r is Extract<ImportResult, { ok: true }> => r.ok && r.ownerToken !== null);
  const labels = h('div', { 'aria-live': 'polite' });
  const csv = () => {
    let text = csvLine(['index', 'dev_eui', 'result', 'claim_authentication_code', 'root_keys_exposed', 'error_code', 'error_message']);
    for (const r of results) {
      text += r.ok
        ? csvLine([r.index, r.devEUI, r.alreadyImported ? 'already_imported' : 'imported', r.ownerToken, r.rootKeysExposed, '', ''])
        : csvLine([r.index, r.devEUI ?? '', 'failed', '', '', r.code, r.message]);
    }
    return text;
  };
  return h('div', { class: 'result-file' },
    h('h3', {}, 'Result file'),
    h('p', { class: 'hint' }, 'One line per entry with the device\'s owner token: keep it like the codes themselves.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => download(`${base}-results.csv`, 'text/csv', csv()) }, 'Download results (CSV)'),
      h('button', {
        type: 'button', class: 'secondary', onclick: () => download(`${base}-results.json`, 'application/json', `${JSON.stringify(results, null, 2)}\n`),
      }, 'Download results (JSON)'),
      dryRun || withTokens.length === 0 ? null : h('button', {
        type: 'button', class: 'secondary', onclick: () => void printLabels(withTokens.map((r) => r.devEUI), labels),
      }, `Print QR labels (${withTokens.length})`),
      dryRun ? null : h('a', { class: 'button secondary', href: '#/devices' }, 'Go to devices')),
    labels);
}
