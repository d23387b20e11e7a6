import { request } from '../api.js';
import { alertBox, download, h, replace } from '../dom.js';
import { errorBox } from '../messages.js';

/** Labels per sheet request (the server takes up to 1,000 DevEUIs). */
const PER_REQUEST = 1000;

/**
 * Printable TR005 QR labels of devices: the server's A4 label sheets (`POST
 * /api/v1/devices/qr-sheet`), shown as images (an SVG as an image runs nothing), printed with the
 * browser's print dialog (one sheet per page), or downloaded as the server's HTML.
 */
export async function printLabels(devEuis: readonly string[], where: HTMLElement): Promise<void> {
  if (devEuis.length === 0) return;
  replace(where, h('p', { class: 'loading' }, `Preparing ${devEuis.length} labels…`));
  const sheets: string[] = [];
  const documents: string[] = [];
  try {
    for (let i = 0; i < devEuis.length; i += PER_REQUEST) {
      const response = await request('POST', '/api/v1/devices/qr-sheet', {
        body: { devEuis: devEuis.slice(i, i + PER_REQUEST), format: 'html' }, accept: 'text/html',
      });
      const html = await response.text();
      documents.push(html);
      const page = new DOMParser().parseFromString(html, 'text/html');
      for (const svg of page.querySelectorAll('svg')) sheets.push(new XMLSerializer().serializeToString(svg));
    }
  } catch (error) {
    replace(where, errorBox(error));
    return;
  }
  const urls = sheets.map((svg) => URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })));
  const printArea = document.getElementById('print-area') as HTMLElement;
  replace(printArea, urls.map((url, i) => h('img', { src: url, alt: `Label sheet ${i + 1}` })));
  const print = () => {
    document.body.classList.add('printing');
    window.print();
  };
  window.addEventListener('afterprint', () => document.body.classList.remove('printing'), { once: true });
  replace(where, h('section', { class: 'card labels', 'aria-label': 'QR labels' },
    h('h2', {}, 'QR labels'),
    alertBox('warn', 'Each label carries the device\'s owner token.', h('p', {}, 'Whoever holds a label can claim the device: treat the sheets like the codes themselves.')),
    h('p', {}, `${devEuis.length} label${devEuis.length === 1 ? '' : 's'} on ${sheets.length} A4 sheet${sheets.length === 1 ? '' : 's'}. Print at 100 % with no margins.`),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: print }, 'Print labels'),
      h('button', {
        type: 'button', class: 'secondary',
        onclick: () => documents.forEach((doc, i) => download(documents.length === 1 ? 'deed-labels.html' : `deed-labels-${i + 1}.html`, 'text/html', doc)),
      }, 'Download label sheets (HTML)')),
    h('div', { class: 'labels-preview' }, urls.map((url, i) => h('img', { src: url, alt: `Label sheet ${i + 1} of ${urls.length}` })))));
}
