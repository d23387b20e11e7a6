import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceQr } from '../../src/lorawan/index.js';
import { decodeQrImage } from '../../src/qr/index.js';
import { ADMIN_PASSWORD, DEED_BIN, runDeedAsync, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';

/**
 * `deed qr` and the QR endpoints against a real `deed serve`: a device maker imports devices,
 * then prints TR005 labels carrying their owner tokens (PNG, SVG, text, label sheets), read back
 * with a real QR decoder; other tenants, owners and wrong input are refused with one clear line.
 */

const JOIN_EUI = '70B3D57ED0000000';
const STACK_TRACE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

interface User { readonly username: string; readonly password: string }
const MAKER: User = { username: 'label-maker', password: 'maker password 1' };
const RIVAL: User = { username: 'rival-maker', password: 'rival password 1' };
const OWNER: User = { username: 'some-owner', password: 'owner password 1' };
const BULK: User = { username: 'bulk-maker', password: 'bulk password 1' };

/** Four devices of the maker's CSV: one with vendor, profile, token and name; one with nothing but EUIs. */
const PREFIX = randomBytes(3).toString('hex').toUpperCase();
const D = [1, 2, 3, 4].map((i) => `${PREFIX}000000000${i}`);
const [D1, D2, D3, D4] = D as [string, string, string, string];
const CSV = [
  'dev_eui,join_eui,app_key,vendor_id,vendor_profile_id,claim_authentication_code,name',
  `${D1},${JOIN_EUI},${randomBytes(16).toString('hex')},42FF,FF42,TOKEN0001,Pallet sensor 1`,
  `${D2.toLowerCase()},${JOIN_EUI},,,,,`,
  `${D3},${JOIN_EUI},,1,2,,`,
  `${D4},${JOIN_EUI},,0x00A1,7,TOKEN0004,`,
].join('\n');

type Body = Record<string, unknown>;

function basic(user: User): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

function expectOneLineError(run: DeedRun, code: number, pattern: RegExp): void {
  expect(run.code, `exit code; stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
  expect(run.stderr).not.toMatch(STACK_TRACE);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^deed: /);
  expect(lines[0]).toMatch(pattern);
}

/** Paints dark runs `[x, y, width]` (in modules) black on white at 4 px per module with a quiet zone, as a PNG. */
function runsToPng(runs: readonly (readonly [number, number, number])[]): Buffer {
  expect(runs.length).toBeGreaterThan(0);
  const modules = Math.max(...runs.map(([x, , w]) => x + w), ...runs.map(([, y]) => y + 1));
  const px = 4;
  const side = (modules + 8) * px;
  const png = new PNG({ width: side, height: side });
  png.data.fill(255);
  for (const [x, y, w] of runs) {
    for (let yy = (y + 4) * px; yy < (y + 5) * px; yy++) {
      for (let xx = (x + 4) * px; xx < (x + 4 + w) * px; xx++) png.data.fill(0, (yy * side + xx) * 4, (yy * side + xx) * 4 + 3);
    }
  }
  return PNG.sync.write(png);
}

/** Reads a single-code SVG as qrcode writes it (a stroked path of `M x y.5 h n` / `m dx dy h n` runs) back to its text. */
function readQrSvg(svg: string): string {
  const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  const runs: [number, number, number][] = [];
  let x = 0;
  let y = 0;
  for (const [, op, args] of d.matchAll(/([Mmh])([-\d.\s]+)/g)) {
    const n = (args ?? '').trim().split(/\s+/).map(Number);
    if (op === 'M') [x, y] = [n[0] ?? 0, n[1] ?? 0];
    else if (op === 'm') [x, y] = [x + (n[0] ?? 0), y + (n[1] ?? 0)];
    else {
      runs.push([x, Math.floor(y), n[0] ?? 0]);
      x += n[0] ?? 0;
    }
  }
  return decodeQrImage(runsToPng(runs));
}

/** Reads every code of a label sheet (`<path class="qr" … d="M x yhWv1h-Wz…">`) back to its text. */
function readSheetCodes(document: string): string[] {
  return [...document.matchAll(/<path class="qr"[^>]* d="([^"]*)"/g)].map(([, d]) =>
    decodeQrImage(runsToPng([...(d ?? '').matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const))));
}

/**
 * Fails unless `xml` is one well-formed XML element (after an optional declaration): tags
 * balanced, attributes quoted and unique, `<` and `&` only as markup or entities.
 */
function expectWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml version="1\.0"( encoding="UTF-8")?\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  for (const match of body.matchAll(/<[^>]*>/g)) {
    const text = body.slice(at, match.index);
    at = match.index + match[0].length;
    expect(text, 'character data').not.toMatch(/</);
    expect(text, 'character data').not.toMatch(entity);
    if (stack.length === 0) expect(text.trim(), 'text outside the root element').toBe('');
    const tag = /^<(\/)?([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/)?>$/.exec(match[0]);
    expect(tag, `malformed tag ${match[0].slice(0, 80)}`).not.toBeNull();
    const [, close, name, attributes, selfClosing] = tag as RegExpExecArray;
    const names = [...(attributes ?? '').matchAll(/([\w:.-]+)="([^"]*)"/g)].map(([, n, value]) => {
      expect(value, 'attribute value').not.toMatch(entity);
      return n;
    });
    expect(new Set(names).size, `duplicate attribute in ${match[0].slice(0, 80)}`).toBe(names.length);
    if (close !== undefined) {
      expect(stack.pop(), `</${name}> closes nothing open`).toBe(name);
    } else {
      if (stack.length === 0) roots += 1;
      if (selfClosing === undefined) stack.push(name as string);
    }
  }
  expect(body.slice(at).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

describe('deed qr: TR005 labels carrying the owner token', () => {
  let server: DeedServer;
  const data = tempDir();
  const work = tempDir('deed-qr-files-');
  /** The owner token of each device, as GET /api/v1/devices/{devEui} shows it to the maker. */
  const tokens = new Map<string, string>();

  async function api(method: string, path: string, auth: string | null, body?: unknown): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method,
      headers: { ...(auth !== null ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  }

  /** The CLI as `user` (the admin by default). */
  function deed(args: readonly string[], options: { user?: User; input?: string; env?: Record<string, string> } = {}): Promise<DeedRun> {
    const user = options.user;
    return runDeedAsync(args, {
      url: server.url,
      ...(options.input !== undefined ? { input: options.input } : {}),
      env: { ...(user !== undefined ? { DEED_USERNAME: user.username, DEED_PASSWORD: user.password } : {}), ...options.env },
    });
  }

  /** The CLI as `user` in directory `cwd`, with stdout as bytes (runDeed decodes it as UTF-8). */
  function deedBinary(args: readonly string[], user: User, cwd: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [DEED_BIN, ...args], {
        cwd,
        env: {
          PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', XDG_CONFIG_HOME: join(tmpdir(), 'deed-test-no-config'),
          DEED_URL: server.url, DEED_USERNAME: user.username, DEED_PASSWORD: user.password,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr }));
    });
  }

  /** The TR005 text the maker's label of `devEui` must carry. */
  const expected = (devEui: string, profile: string): string => `LW:D0:${JOIN_EUI}:${devEui}:${profile}:O${tokens.get(devEui) ?? '?'}`;

  beforeAll(async () => {
    server = await startDeed({ dataDir: data.path });
    const added = await Promise.all([
      deed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'], { input: `${MAKER.password}\n` }),
      deed(['accounts', 'add', '--username', RIVAL.username, '--role', 'provisioner', '--password-stdin'], { input: `${RIVAL.password}\n` }),
      deed(['accounts', 'add', '--username', OWNER.username, '--role', 'owner', '--password-stdin'], { input: `${OWNER.password}\n` }),
      deed(['accounts', 'add', '--username', BULK.username, '--role', 'provisioner', '--password-stdin'], { input: `${BULK.password}\n` }),
    ]);
    for (const run of added) expect(run.code, run.stderr).toBe(0);

    const imported = await api('POST', '/api/v1/devices/import?format=csv', basic(MAKER), CSV);
    const result = (await imported.json()) as { results: { ok: boolean; devEUI: string }[] };
    expect(imported.status, JSON.stringify(result)).toBe(200);
    expect(result.results.map((r) => [r.ok, r.devEUI])).toEqual(D.map((d) => [true, d]));
    for (const devEui of D) {
      const device = (await (await api('GET', `/api/v1/devices/${devEui}`, basic(MAKER))).json()) as Body;
      expect(typeof device['ownerToken'], JSON.stringify(device)).toBe('string');
      tokens.set(devEui, device['ownerToken'] as string);
    }
    expect(tokens.get(D1)).toBe('TOKEN0001');
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    work.remove();
  });

  it('writes DEVEUI.png in the current directory, decoding to the exact TR005 text with the owner token', async () => {
    const run = await deedBinary(['qr', D1.toLowerCase()], MAKER, work.path);
    expect(run.code, run.stderr).toBe(0);
    const file = join(work.path, `${D1}.png`);
    const printed = JSON.parse(run.stdout.toString('utf8')) as Body;
    expect(printed).toEqual({ file, devEui: D1, format: 'png', bytes: statSync(file).size });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');

    const text = decodeQrImage(png);
    expect(text).toBe(expected(D1, '42FFFF42'));
    expect(text).toBe(`LW:D0:${JOIN_EUI}:${D1}:42FFFF42:OTOKEN0001`);
    const qr = parseDeviceQr(text);
    expect(qr.format).toBe('tr005');
    expect(qr.joinEui?.toHex()).toBe(JOIN_EUI);
    expect(qr.devEui.toHex()).toBe(D1);
    expect([qr.vendorId, qr.profileId, qr.ownerToken, qr.serialNumber]).toEqual(['42FF', 'FF42', 'TOKEN0001', undefined]);
    // The label goes to the printer, not to the terminal.
    expect(run.stdout.toString('utf8')).not.toContain('TOKEN0001');
  });

  it('-f text prints the text; unknown vendor and profile become ProfileID 00000000; --out - writes the image to stdout', async () => {
    const [text2, text4, png, svgFile] = await Promise.all([
      deed(['qr', D2, '-f', 'text'], { user: MAKER }),
      deed(['qr', D4, '--format', 'text'], { user: MAKER }),
      deedBinary(['qr', D3, '--out', '-'], MAKER, work.path),
      deed(['qr', D3, '--out', join(work.path, 'd3-label.svg')], { user: MAKER }),
    ]);
    expect(text2.code, text2.stderr).toBe(0);
    expect(text2.json()).toEqual({ devEui: D2, qr: expected(D2, '00000000') });
    expect(tokens.get(D2)).toMatch(/^[0-9A-F]{8}$/);
    expect(text4.json()).toEqual({ devEui: D4, qr: expected(D4, '00A10007') });
    expect(parseDeviceQr(text4.json<{ qr: string }>().qr)).toMatchObject({ vendorId: '00A1', profileId: '0007', ownerToken: 'TOKEN0004' });

    expect(png.code, png.stderr).toBe(0);
    expect(decodeQrImage(png.stdout)).toBe(expected(D3, '00010002'));

    expect(svgFile.code, svgFile.stderr).toBe(0);
    expect(svgFile.json<Body>()).toMatchObject({ file: join(work.path, 'd3-label.svg'), devEui: D3, format: 'svg' });
    const svg = readFileSync(join(work.path, 'd3-label.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expectWellFormedXml(svg);
    expect(readQrSvg(svg)).toBe(expected(D3, '00010002'));
  });

  it('serves GET /api/v1/devices/{devEui}/qr as PNG, SVG or JSON text, never cached', async () => {
    const [png, svg, text, bad] = await Promise.all([
      api('GET', `/api/v1/devices/${D1}/qr`, basic(MAKER)),
      api('GET', `/api/v1/devices/${D1}/qr?format=svg`, basic(MAKER)),
      api('GET', `/api/v1/devices/${D1.toLowerCase()}/qr?format=text`, `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`),
      api('GET', `/api/v1/devices/${D1}/qr?format=gif`, basic(MAKER)),
    ]);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('no-store');
    expect(png.headers.get('content-disposition')).toBe(`inline; filename="${D1}.png"`);
    expect(decodeQrImage(Buffer.from(await png.arrayBuffer()))).toBe(expected(D1, '42FFFF42'));
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(readQrSvg(await svg.text())).toBe(expected(D1, '42FFFF42'));
    expect(text.status).toBe(200);
    expect(await text.json()).toEqual({ devEui: D1, qr: expected(D1, '42FFFF42') });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_input', field: 'format', detail: 'format: expected png, svg or text' });
  });

  it('writes a printable label sheet: HTML pages of A4 SVG sheets, or one SVG sheet, each code with its DevEUI beneath', async () => {
    const html = join(work.path, 'labels.html');
    const svg = join(work.path, 'labels.svg');
    const [htmlRun, svgRun] = await Promise.all([
      deed(['qr', '--sheet', '--out', html, D1, D2, D3], { user: MAKER }),
      deed(['qr', '--sheet', '--out', svg, D4, D1], { user: MAKER }),
    ]);
    expect(htmlRun.code, htmlRun.stderr).toBe(0);
    expect(htmlRun.json()).toEqual({ files: [html], format: 'html', labels: 3 });
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('@page { size: A4');
    const sheets = [...page.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(sheets).toHaveLength(1);
    for (const sheet of sheets) expectWellFormedXml(sheet);
    expect(readSheetCodes(page)).toEqual([expected(D1, '42FFFF42'), expected(D2, '00000000'), expected(D3, '00010002')]);
    for (const devEui of [D1, D2, D3]) expect(page).toContain(`>DevEUI ${devEui}</text>`);
    expect(page).toContain('>Pallet sensor 1</text>');

    expect(svgRun.code, svgRun.stderr).toBe(0);
    expect(svgRun.json()).toEqual({ files: [svg], format: 'svg', labels: 2 });
    const sheet = readFileSync(svg, 'utf8');
    expectWellFormedXml(sheet);
    expect(sheet).toMatch(/width="210mm" height="297mm"/);
    expect(readSheetCodes(sheet)).toEqual([expected(D4, '00A10007'), expected(D1, '42FFFF42')]);
  });

  it('--all prints every device whose owner token the account holds, paging the listing; more than 1000 make numbered files', async () => {
    const all = await deed(['qr', '--all', '--out', join(work.path, 'all.html')], { user: MAKER });
    expect(all.code, all.stderr).toBe(0);
    expect(all.json()).toEqual({ files: [join(work.path, 'all.html')], format: 'html', labels: 4, skipped: 0 });
    expect(readSheetCodes(readFileSync(join(work.path, 'all.html'), 'utf8')).sort()).toEqual(
      [expected(D1, '42FFFF42'), expected(D2, '00000000'), expected(D3, '00010002'), expected(D4, '00A10007')].sort(),
    );

    const bulkEuis = Array.from({ length: 1001 }, (_, i) => `B0${PREFIX}${i.toString(16).toUpperCase().padStart(8, '0')}`);
    const imported = await api('POST', `/api/v1/devices/import?format=csv&joinEui=${JOIN_EUI}`, basic(BULK), `dev_eui\n${bulkEuis.join('\n')}\n`);
    expect(imported.status).toBe(200);
    const bulk = await deed(['qr', '--all', '--out', join(work.path, 'bulk.html')], { user: BULK });
    expect(bulk.code, bulk.stderr).toBe(0);
    expect(bulk.json()).toEqual({
      files: [join(work.path, 'bulk-1.html'), join(work.path, 'bulk-2.html')], format: 'html', labels: 1001, skipped: 0,
    });
    const second = readFileSync(join(work.path, 'bulk-2.html'), 'utf8');
    expect(second).toContain(`>DevEUI ${bulkEuis[1000]}</text>`);
    expect(readSheetCodes(second)).toHaveLength(1);
    const first = readFileSync(join(work.path, 'bulk-1.html'), 'utf8');
    expect(first.match(/<g class="label">/g)).toHaveLength(1000);
    expect(first.match(/<section class="sheet">/g)?.length).toBeGreaterThan(1);

    const tooMany = await api('POST', '/api/v1/devices/qr-sheet', basic(BULK), { devEuis: bulkEuis });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      code: 'invalid_input', field: 'devEuis', detail: 'devEuis: at most 1000 devices per label sheet, got 1001; split the list',
    });
    const overOneSheet = await api('POST', '/api/v1/devices/qr-sheet', basic(BULK), { devEuis: bulkEuis.slice(0, 40), format: 'svg' });
    expect(overOneSheet.status).toBe(400);
    expect(((await overOneSheet.json()) as Body)['detail']).toMatch(/^format: 40 labels do not fit on one A4 SVG sheet \(at most \d+\); ask for html/);
    const stdoutSplit = await deed(['qr', '--all', '--out', '-'], { user: BULK });
    expectOneLineError(stdoutSplit, 2, /1001 devices make 2 files .* give --out FILE/);
  });

  it('answers other tenants, owners, unknown and malformed DevEUIs with one clear line and the right exit code', async () => {
    const [rival, owner, unknown, garbage, noEui, twoEuis, rivalSheet, rivalAll, ownerAll, noCredentials, pngSheet] = await Promise.all([
      deed(['qr', D1], { user: RIVAL }),
      deed(['qr', D1, '-f', 'text'], { user: OWNER }),
      deed(['qr', `${PREFIX}FFFFFFFFFF`], { user: MAKER }),
      deed(['qr', 'not-a-dev-eui'], { user: MAKER }),
      deed(['qr'], { user: MAKER }),
      deed(['qr', D1, D2], { user: MAKER }),
      deed(['qr', '--sheet', '--out', join(work.path, 'rival.html'), D1, D2], { user: RIVAL }),
      deed(['qr', '--all', '--out', join(work.path, 'rival-all.html')], { user: RIVAL }),
      deed(['qr', '--all', '--out', join(work.path, 'owner-all.html')], { user: OWNER }),
      runDeedAsync(['qr', D1], { env: { DEED_URL: server.url } }),
      deed(['qr', '--sheet', '-f', 'png', D1], { user: MAKER }),
    ]);
    expectOneLineError(rival, 1, new RegExp(`^deed: no device with DevEUI ${D1}$`));
    expectOneLineError(owner, 1, new RegExp(`^deed: no device with DevEUI ${D1}$`));
    expectOneLineError(unknown, 1, new RegExp(`^deed: no device with DevEUI ${PREFIX}FFFFFFFFFF$`));
    expectOneLineError(garbage, 2, /^deed: qr: "not-a-dev-eui" is not a DevEUI: expected 16 hex digits$/);
    expectOneLineError(noEui, 2, /give a DevEUI/);
    expectOneLineError(twoEuis, 2, /give one DevEUI, or --sheet/);
    expectOneLineError(rivalSheet, 1, new RegExp(`^deed: no device with DevEUI ${D1}$`));
    expectOneLineError(rivalAll, 1, /none of your devices has an owner token you may print/);
    expectOneLineError(ownerAll, 1, /none of your devices/);
    expectOneLineError(noCredentials, 4, /authentication required/);
    expectOneLineError(pngSheet, 2, /label sheet formats are html or svg, not "png"/);
    for (const run of [rival, owner, rivalSheet]) expect(run.stderr).not.toContain('TOKEN0001');

    const [httpRival, httpGarbage, httpSheetGarbage] = await Promise.all([
      api('GET', `/api/v1/devices/${D1}/qr?format=text`, basic(RIVAL)),
      api('GET', '/api/v1/devices/xyz/qr', basic(MAKER)),
      api('POST', '/api/v1/devices/qr-sheet', basic(MAKER), { devEuis: [D1, '12'] }),
    ]);
    expect(httpRival.status).toBe(404);
    expect(httpGarbage.status).toBe(400);
    expect(await httpGarbage.json()).toMatchObject({ code: 'invalid_input', field: 'devEui' });
    expect(httpSheetGarbage.status).toBe(400);
    expect(((await httpSheetGarbage.json()) as Body)['detail']).toMatch(/^devEuis\[1\]: /);
  });

  it('takes API keys with devices:read only, and prints the new token after the maker regenerates it', async () => {
    const create = async (scope: string) => {
      const run = await deed(['api-keys', 'create', '--name', `labels ${scope}`, '--scope', scope], { user: MAKER });
      expect(run.code, run.stderr).toBe(0);
      return run.json<{ key: string }>().key;
    };
    const [readKey, writeKey] = await Promise.all([create('devices:read'), create('devices:write')]);
    const [withRead, withWrite] = await Promise.all([
      runDeedAsync(['qr', D1, '-f', 'text'], { env: { DEED_URL: server.url, DEED_API_KEY: readKey } }),
      runDeedAsync(['qr', D1, '-f', 'text'], { env: { DEED_URL: server.url, DEED_API_KEY: writeKey } }),
    ]);
    expect(withRead.code, withRead.stderr).toBe(0);
    expect(withRead.json<{ qr: string }>().qr).toBe(expected(D1, '42FFFF42'));
    expectOneLineError(withWrite, 4, /lacks the devices:read scope/);

    const regenerated = await api('PUT', `/api/v1/devices/${D4}/owner-token`, basic(MAKER), { regenerate: true });
    expect(regenerated.status).toBe(200);
    const token = ((await regenerated.json()) as Body)['ownerToken'] as string;
    expect(token).not.toBe('TOKEN0004');
    const after = await deed(['qr', D4, '-f', 'text'], { user: MAKER });
    expect(parseDeviceQr(after.json<{ qr: string }>().qr).ownerToken).toBe(token);
  });
});
