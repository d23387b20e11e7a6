/** Small CSV helpers: reading claim files, writing result files. */

/** Splits CSV text into rows of fields (quotes, doubled quotes, CRLF; `delimiter` , or ;). */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let fieldText = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { fieldText += '"'; i++; } else if (c === '"') quoted = false;
      else fieldText += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) { row.push(fieldText); fieldText = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(fieldText);
      rows.push(row);
      row = [];
      fieldText = '';
    } else fieldText += c;
  }
  if (fieldText !== '' || row.length > 0) { row.push(fieldText); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/** One row of a bulk claim: a QR text, or JoinEUI/DevEUI/owner token. */
export type ClaimRow = { qr: string } | { joinEui?: string; devEui?: string; ownerToken?: string };

/**
 * Rows of a claim file, as `deed claim --file` reads them: a CSV with a header (The Things
 * Stack's names: dev_eui, join_eui or app_eui, claim_authentication_code; or a `qr` column),
 * comma or semicolon separated; or one QR code text per line.
 */
export function claimRowsFromText(text: string): ClaimRow[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const first = lines[0];
  if (first === undefined) throw new Error('the file is empty');
  if (/^(LW:|URN:)/i.test(first) || /^[0-9A-Fa-f]{16}$/.test(first)) return lines.map((qr) => ({ qr }));
  const delimiter = (first.match(/;/g) ?? []).length > (first.match(/,/g) ?? []).length ? ';' : ',';
  const [header, ...records] = parseCsv(text, delimiter);
  const columns = (header ?? []).map((c) => c.trim().toLowerCase());
  if (!columns.some((c) => ['dev_eui', 'deveui', 'qr'].includes(c))) {
    throw new Error('the first line must name the columns: dev_eui, join_eui, claim_authentication_code (or qr)');
  }
  return records.map((fields) => {
    const r: Record<string, string> = {};
    columns.forEach((column, i) => { r[column] = (fields[i] ?? '').trim(); });
    if ((r['qr'] ?? '') !== '') return { qr: r['qr'] ?? '' };
    const joinEui = r['join_eui'] ?? r['app_eui'] ?? r['joineui'] ?? '';
    const devEui = r['dev_eui'] ?? r['deveui'] ?? '';
    const token = r['claim_authentication_code'] ?? r['owner_token'] ?? r['ownertoken'] ?? '';
    return { ...(joinEui !== '' ? { joinEui } : {}), ...(devEui !== '' ? { devEui } : {}), ...(token !== '' ? { ownerToken: token } : {}) };
  });
}

/** One CSV line; fields quoted when they need it. */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map((value) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }).join(',')}\r\n`;
}
