import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { Eui64 } from '../../lorawan/index.js';
import { download } from '../api-download.js';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext, type CommandContext } from '../context.js';

/** Most devices one `POST /api/v1/devices/qr-sheet` takes; more are written as numbered files. */
const SHEET_LIMIT = 1000;
const CODE_FORMATS = ['png', 'svg', 'text'] as const;
const SHEET_FORMATS = ['html', 'svg'] as const;
type CodeFormat = (typeof CODE_FORMATS)[number];
type SheetFormat = (typeof SHEET_FORMATS)[number];

interface QrOptions {
  format?: string;
  out?: string;
  sheet?: boolean;
  all?: boolean;
}

/** `deed qr DEVEUI [-f png|svg|text] [--out FILE|-]` and `deed qr --sheet (DEVEUI… | --all) [-f html|svg] [--out FILE|-]`. */
export function registerQr(program: Command): void {
  program.command('qr')
    .description('write the TR005 QR code of a device (PNG, SVG or text), with its owner token, or a printable label sheet')
    .argument('[dev-eui...]', 'DevEUI (with --sheet: one or more)')
    .addOption(new Option('-f, --format <format>',
      'png, svg or text for one code (default: from the --out extension, else png); html or svg for a sheet (default html)'))
    .option('--out <file>', 'where to write; "-" for standard output (default: DEVEUI.png, DEVEUI.svg or deed-labels.html here)')
    .option('--sheet', 'printable A4 label sheets for all the DevEUIs given: each code with its DevEUI (and name) beneath')
    .option('--all', 'with --sheet (implied): every device of yours whose owner token you hold')
    .addHelpText('after', '\nThe code carries the owner token: whoever scans it may claim the device. Files are created mode 0600.\n'
      + '\nExamples:\n  deed qr 0004A30B001C0530                        writes 0004A30B001C0530.png\n'
      + '  deed qr 0004A30B001C0530 -f text                prints {"devEui": …, "qr": "LW:D0:…"}\n'
      + '  deed qr 0004A30B001C0530 -f svg --out - > label.svg\n'
      + '  deed qr --sheet --out labels.html 0004A30B001C0530 0004A30B001C0531\n'
      + '  deed qr --all --out labels.html                 more than 1000 devices: labels-1.html, labels-2.html, …\n'
      + '\nSee docs/cli.md (deed qr).')
    .action(async (devEuiArgs: string[], opts: QrOptions, command: Command) => {
      const devEuis = devEuiArgs.map(parseDevEuiArg);
      if (opts.sheet === true || opts.all === true) {
        if (opts.all === true && devEuis.length > 0) throw usage('give DevEUIs or --all, not both');
        if (opts.all !== true && devEuis.length === 0) throw usage('--sheet: give one or more DevEUIs, or --all');
        await writeSheet(commandContext(command), devEuis, opts);
        return;
      }
      if (devEuis.length !== 1) {
        throw usage(devEuis.length === 0 ? 'give a DevEUI (or --sheet with several, or --all)' : 'give one DevEUI, or --sheet for a label sheet of several');
      }
      await writeCode(commandContext(command), devEuis[0] as string, opts);
    });
}

const usage = (message: string): CliError => new CliError(`qr: ${message}`, EXIT.usage);

function parseDevEuiArg(value: string): string {
  try {
    return Eui64.fromHex(value).toHex();
  } catch {
    throw usage(`"${value}" is not a DevEUI: expected 16 hex digits`);
  }
}

/** The format asked for, else the one the --out extension names, else `fallback`. */
function pickFormat<T extends string>(opts: QrOptions, allowed: readonly T[], fallback: T, what: string): T {
  const ext = opts.out === undefined || opts.out === '-' ? '' : extname(opts.out).slice(1).toLowerCase();
  const wanted = opts.format ?? (ext === 'htm' ? 'html' : (allowed as readonly string[]).includes(ext) ? ext : fallback);
  if (!(allowed as readonly string[]).includes(wanted)) {
    throw usage(`-f/--format: ${what} are ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}, not "${wanted}"`);
  }
  return wanted as T;
}

async function writeCode(ctx: CommandContext, devEui: string, opts: QrOptions): Promise<void> {
  const format = pickFormat<CodeFormat>(opts, CODE_FORMATS, 'png', 'QR code formats');
  const path = `/api/v1/devices/${devEui}/qr?format=${format}`;
  if (format === 'text') {
    const code = await ctx.api.request<{ devEui: string; qr: string }>('GET', path);
    if (opts.out === undefined) ctx.print(code);
    else output(opts.out, Buffer.from(`${code.qr}\n`), (file) => ctx.print({ file, devEui, format }));
    return;
  }
  const { bytes } = await download(ctx.connection, 'GET', path);
  output(opts.out ?? `${devEui}.${format}`, bytes, (file) => ctx.print({ file, devEui, format, bytes: bytes.length }));
}

async function writeSheet(ctx: CommandContext, given: readonly string[], opts: QrOptions): Promise<void> {
  const format = pickFormat<SheetFormat>(opts, SHEET_FORMATS, 'html', 'label sheet formats');
  const mine = opts.all === true ? await printableDevices(ctx) : { devEuis: given, skipped: 0 };
  if (mine.devEuis.length === 0) {
    throw new CliError(`qr --all: none of your devices has an owner token you may print${mine.skipped > 0 ? ` (${mine.skipped} skipped)` : ''}`);
  }
  const chunks: string[][] = [];
  for (let i = 0; i < mine.devEuis.length; i += SHEET_LIMIT) chunks.push(mine.devEuis.slice(i, i + SHEET_LIMIT));
  const out = opts.out ?? `deed-labels.${format}`;
  if (chunks.length > 1 && out === '-') {
    throw usage(`${mine.devEuis.length} devices make ${chunks.length} files of at most ${SHEET_LIMIT} labels: give --out FILE, not -`);
  }
  const files: string[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const { bytes } = await download(ctx.connection, 'POST', '/api/v1/devices/qr-sheet', { devEuis: chunk, format });
    output(chunks.length === 1 ? out : numbered(out, i + 1), bytes, (file) => files.push(file));
  }
  if (out === '-') return;
  ctx.print({ files, format, labels: mine.devEuis.length, ...(opts.all === true ? { skipped: mine.skipped } : {}) });
}

/** `labels.html` → `labels-2.html`. */
function numbered(file: string, n: number): string {
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}-${n}${ext}`;
}

/**
 * Every device of the account whose owner token it may see (the listing shows `ownerToken` only
 * then), in DevEUI order; the others (a maker's claimed devices, devices without a token) are
 * counted as skipped.
 */
async function printableDevices(ctx: CommandContext): Promise<{ devEuis: string[]; skipped: number }> {
  const devEuis: string[] = [];
  let skipped = 0;
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(SHEET_LIMIT), ...(after !== null ? { after } : {}) });
    const page: { devices: { devEUI: string; ownerToken?: string | null }[]; next: string | null } =
      await ctx.api.request('GET', `/api/v1/devices?${query.toString()}`);
    for (const device of page.devices) {
      if (typeof device.ownerToken === 'string') devEuis.push(device.devEUI);
      else skipped += 1;
    }
    after = page.next;
  } while (after !== null);
  return { devEuis, skipped };
}

/** Writes `bytes` to standard output (`-`) or to a file created 0600, then reports the file's absolute path. */
function output(out: string, bytes: Buffer, written: (file: string) => void): void {
  if (out === '-') {
    process.stdout.write(bytes);
    return;
  }
  const file = resolve(out);
  try {
    writeFileSync(file, bytes, { mode: 0o600 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot write ${file}: ${e.code ?? e.message}`);
  }
  written(file);
}
