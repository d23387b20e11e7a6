import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { readSecretOption } from '../secret-input.js';

/** Rows per bulk request; the server takes at most 10,000. */
const CHUNK = 5_000;

interface ClaimOptions {
  name?: string; secret?: string;
  joinEui?: string; devEui?: string; ownerToken?: string; qr?: string; qrImage?: string; file?: string;
  application?: string; netId?: string; nsId?: string; asId?: string; kekLabel?: string; kek?: string;
  lock?: boolean; keepToken?: boolean;
}

interface BulkRow { index: number; ok: boolean; devEUI?: string; ownerToken?: string | null; code?: string; message?: string }

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
}

/**
 * Rows of a claim file: a CSV with a header (The Things Stack's names: dev_eui, join_eui or
 * app_eui, claim_authentication_code; or a `qr` column), comma or semicolon separated; or a
 * plain list of QR code texts, one per line.
 */
export function claimRowsFromFile(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new CliError('the claim file is empty', EXIT.usage);
  const first = lines[0] ?? '';
  if (/^(LW:|URN:)/i.test(first) || /^[0-9A-Fa-f]{16}$/.test(first)) return lines.map((qr) => ({ qr }));
  const delimiter = (first.match(/;/g) ?? []).length > (first.match(/,/g) ?? []).length ? ';' : ',';
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), delimiter, skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (err) {
    throw new CliError(`the claim file is not valid CSV (${(err as Error).message.split('\n')[0]})`, EXIT.usage);
  }
  return records.map((r) => {
    const joinEui = r['join_eui'] ?? r['app_eui'] ?? r['joineui'] ?? '';
    const devEui = r['dev_eui'] ?? r['deveui'] ?? '';
    const token = r['claim_authentication_code'] ?? r['owner_token'] ?? r['ownertoken'] ?? '';
    if ((r['qr'] ?? '') !== '') return { qr: r['qr'] ?? '' };
    return { ...(joinEui !== '' ? { joinEui } : {}), ...(devEui !== '' ? { devEui } : {}), ...(token !== '' ? { ownerToken: token } : {}) };
  });
}

function settings(opts: ClaimOptions): Record<string, unknown> {
  if ((opts.kek === undefined) !== (opts.kekLabel === undefined)) throw new CliError('--kek and --kek-label go together', EXIT.usage);
  return {
    ...(opts.application !== undefined ? { applicationId: opts.application } : {}),
    ...(opts.netId !== undefined ? { homeNetId: opts.netId } : {}),
    ...(opts.nsId !== undefined ? { homeNsId: opts.nsId } : {}),
    ...(opts.asId !== undefined ? { asId: opts.asId } : {}),
    ...(opts.kek !== undefined ? { kek: { label: opts.kekLabel, key: readSecretOption(opts.kek, '--kek') } } : {}),
    ...(opts.lock === true ? { lock: true } : {}),
    ...(opts.keepToken === true ? { regenerateOwnerToken: false } : {}),
  };
}

/** `deed claim`, `deed unclaim`, `deed devices`, `deed applications`. */
export function registerClaim(program: Command): void {
  program.command('claim')
    .description('claim devices into one of your applications: by code, QR text, QR image, or a file of codes (owners)')
    .option('--join-eui <eui>', 'JoinEUI (AppEUI) of the device')
    .option('--dev-eui <eui>', 'DevEUI of the device')
    .option('--owner-token <token>', 'the owner token (claim authentication code) from the label or the maker')
    .option('--qr <text>', 'the text of the device\'s QR code (LW:D0:…)')
    .option('--qr-image <file>', 'a PNG image of the device\'s QR code label')
    .option('--file <file>', 'claim many: a CSV (dev_eui, join_eui, claim_authentication_code) or one QR text per line')
    .option('--name <name>', 'claim an IP device by name, while the window it opened is open (with --secret)')
    .option('--secret <secret>', 'the secret key of the device\'s claim window (default: empty)')
    .option('--application <id>', 'your application to claim into (needed when you have several)')
    .option('--net-id <netid>', 'home NetID: the Network Server allowed to activate the device (default: the application\'s)')
    .option('--ns-id <nsid>', 'home NSID')
    .option('--as-id <id>', 'AS-ID of the Application Server that receives the AppSKey (default: the application\'s)')
    .option('--kek-label <label>', 'label of the AS KEK that wraps this device\'s AppSKeys')
    .option('--kek <key>', 'the AS KEK: hex, @file or - for standard input')
    .option('--lock', 'nobody else may claim the device while you hold it')
    .option('--keep-token', 'keep the owner token (by default it is replaced, so the printed code is spent)')
    .addHelpText('after', `
Examples:
  deed claim --join-eui 70B3D57ED0000000 --dev-eui 0004A310001FF9DA --owner-token C05EA29C --application greenhouse
  deed claim --qr "LW:D0:70B3D57ED0000000:0004A310001FF9DA:00000000:OC05EA29C"
  deed claim --qr-image label.png
  deed claim --file codes.csv     # one result per row; exit 1 if any row failed
  deed claim --name thermostat-7 --secret 1234     # a device that opened its claim window`)
    .action(async (opts: ClaimOptions, command: Command) => {
      const ctx = commandContext(command);
      const proofs = [opts.qr, opts.qrImage, opts.file, opts.name, opts.devEui ?? opts.ownerToken ?? opts.joinEui].filter((v) => v !== undefined).length;
      if (proofs !== 1) throw new CliError('give one of: --join-eui/--dev-eui/--owner-token, --qr, --qr-image, --file or --name', EXIT.usage);
      if (opts.secret !== undefined && opts.name === undefined) throw new CliError('--secret goes with --name', EXIT.usage);
      if (opts.name !== undefined) {
        const secretKey = opts.secret === undefined ? '' : readSecretOption(opts.secret, '--secret') ?? '';
        const answer = await ctx.api.exchange('POST', `/api/customer/device/${encodeURIComponent(opts.name)}/claim`, {
          secretKey, ...(opts.application !== undefined ? { applicationId: opts.application } : {}),
        });
        if (answer.status === 200) {
          ctx.print((answer.body as { device: unknown }).device);
          return;
        }
        if (answer.body === 'CLAIMED') throw new CliError(`device ${opts.name} is already claimed`, EXIT.failed);
        if (answer.body === 'FAILURE') {
          throw new CliError(`could not claim ${opts.name}: no claim window is open, it expired, or the secret is wrong (FAILURE)`, EXIT.failed);
        }
        const detail = (answer.body as { detail?: unknown } | undefined)?.detail;
        throw new CliError(typeof detail === 'string' ? detail : `HTTP ${answer.status}`, EXIT.failed);
      }
      const common = settings(opts);
      if (opts.file !== undefined) {
        const rows = claimRowsFromFile(readFile(opts.file, 'the claim file').toString('utf8'));
        const results: BulkRow[] = [];
        for (let start = 0; start < rows.length; start += CHUNK) {
          const answer = await ctx.api.request<{ results: BulkRow[] }>('POST', '/api/v1/claims/bulk', { ...common, rows: rows.slice(start, start + CHUNK) });
          results.push(...answer.results.map((r) => ({ ...r, index: r.index + start })));
          if (rows.length > CHUNK) process.stderr.write(`claimed rows ${start + 1}-${Math.min(rows.length, start + CHUNK)} of ${rows.length}\n`);
        }
        ctx.print(results, ['index', 'ok', 'devEUI', 'ownerToken', 'code', 'message']);
        const failed = results.filter((r) => !r.ok).length;
        if (failed > 0) throw new CliError(`${failed} of ${results.length} rows failed; see their index and message above`, EXIT.failed);
        return;
      }
      let proof: Record<string, unknown>;
      if (opts.qrImage !== undefined) {
        // Loaded here, not at the top: the QR image decoder (jsQR, pngjs) would be most of every command's start-up.
        const { decodeQrImage, QrError } = await import('../../qr/index.js');
        try {
          proof = { qr: decodeQrImage(readFile(opts.qrImage, 'the QR image')) };
        } catch (err) {
          if (err instanceof QrError) throw new CliError(`--qr-image: ${err.message}`, EXIT.usage);
          throw err;
        }
      } else if (opts.qr !== undefined) {
        proof = { qr: opts.qr };
      } else {
        proof = {
          ...(opts.joinEui !== undefined ? { joinEui: opts.joinEui } : {}),
          ...(opts.devEui !== undefined ? { devEui: opts.devEui } : {}),
          ...(opts.ownerToken !== undefined ? { ownerToken: readSecretOption(opts.ownerToken, '--owner-token') } : {}),
        };
      }
      ctx.print(await ctx.api.request('POST', '/api/v1/claims', { ...proof, ...common }), ['devEUI', 'state', 'applicationId', 'homeNetId', 'asId', 'locked', 'ownerToken']);
    });

  program.command('unclaim')
    .description('release a device you hold; prints the new owner token the next owner claims it with')
    .argument('<dev-eui>', 'DevEUI')
    .option('--owner-token <token>', 'set this owner token for the next owner (default: a new random one)')
    .action(async (devEui: string, opts: { ownerToken?: string }, command: Command) => {
      const ctx = commandContext(command);
      const body = opts.ownerToken !== undefined ? { ownerToken: readSecretOption(opts.ownerToken, '--owner-token') } : {};
      ctx.print(await ctx.api.request('DELETE', `/api/v1/devices/${encodeURIComponent(devEui)}/claim`, body));
    });

  program.command('devices')
    .description('your devices with their state (an owner: the devices claimed into your applications)')
    .option('--application <id>', 'only this application\'s devices')
    .action(async (opts: { application?: string }, command: Command) => {
      const ctx = commandContext(command);
      const devices: Record<string, unknown>[] = [];
      let after: string | null = null;
      do {
        const q = new URLSearchParams({ limit: '1000', ...(after !== null ? { after } : {}) });
        const page: { devices: Record<string, unknown>[]; next: string | null } = await ctx.api.request('GET', `/api/v1/devices?${q.toString()}`);
        devices.push(...page.devices.filter((d) => opts.application === undefined || d['applicationId'] === opts.application));
        after = page.next;
      } while (after !== null);
      ctx.print(devices.map((d) => ({
        devEUI: d['devEUI'], state: d['state'], applicationId: d['applicationId'], homeNetId: d['homeNetId'], asId: d['asId'],
        locked: d['locked'], rootKeysExposed: d['rootKeysExposed'], claimedAt: d['claimedAt'], name: d['name'],
      })));
    });

  const applications = program.command('applications').description('your applications: the unit of ownership devices are claimed into (owners)');
  applications.command('add')
    .description('create an application')
    .argument('<id>', '2-36 lower-case letters, digits and dashes')
    .option('--name <name>', 'a human name')
    .option('--net-id <netid>', 'default home NetID of devices claimed into it')
    .option('--ns-id <nsid>', 'default home NSID')
    .option('--as-id <id>', 'default AS-ID')
    .option('--kek-label <label>', 'default AS KEK label')
    .action(async (id: string, opts: { name?: string; netId?: string; nsId?: string; asId?: string; kekLabel?: string }, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('POST', '/api/v1/applications', {
        id,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.netId !== undefined ? { homeNetId: opts.netId } : {}),
        ...(opts.nsId !== undefined ? { homeNsId: opts.nsId } : {}),
        ...(opts.asId !== undefined ? { asId: opts.asId } : {}),
        ...(opts.kekLabel !== undefined ? { asKekLabel: opts.kekLabel } : {}),
      }));
    });
  applications.command('list')
    .description('list your applications')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', '/api/v1/applications'), ['id', 'name', 'homeNetId', 'asId', 'createdAt']);
    });
}
