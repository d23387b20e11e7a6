import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import type { ApiClient } from '../api-client.js';

const FORMATS = ['microchip-atecc608', 'csv', 'json'];

interface Counts { processed: number; imported: number; alreadyImported: number; failed: number; bytes: number }

/** One line of the server's NDJSON answer (see src/transport/http/import-routes.ts). */
type ImportLine =
  | { type: 'result'; ok: true; index: number; devEUI: string; ownerToken: string | null; rootKeysExposed: boolean; alreadyImported: boolean }
  | { type: 'result'; ok: false; index: number; devEUI?: string; code: string; message: string }
  | ({ type: 'progress' } & Counts)
  | ({ type: 'summary'; fileSha256: string } & Counts)
  | { type: 'error'; code: string; message: string };

/** An entry as `deed import` prints it: the guide's fields for a success, index and reason for a failure. */
function printable(line: Extract<ImportLine, { type: 'result' }>): Record<string, unknown> {
  if (line.ok) {
    return {
      devEUI: line.devEUI, ownerToken: line.ownerToken, rootKeysExposed: line.rootKeysExposed,
      ...(line.alreadyImported ? { alreadyImported: true } : {}),
    };
  }
  return { index: line.index, ...(line.devEUI !== undefined ? { devEUI: line.devEUI } : {}), error: line.code, message: line.message };
}

function openSource(file: string): { stream: Readable; size: number | undefined } {
  if (file === '-') return { stream: process.stdin, size: undefined };
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new CliError(`${file} is not a file`, EXIT.usage);
    size = stat.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  return { stream: createReadStream(file), size };
}

/** Progress on stderr: a line rewritten in place on a terminal, a line every few seconds otherwise. */
function progressReporter(size: number | undefined): { update(p: Extract<ImportLine, { type: 'progress' }>): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  const text = (p: Extract<ImportLine, { type: 'progress' }>) => {
    const share = size !== undefined && size > 0 ? ` (${Math.min(100, Math.floor((p.bytes / size) * 100))}% of the file)` : '';
    return `processed ${p.processed}: ${p.imported} imported, ${p.alreadyImported} already there, ${p.failed} failed${share}`;
  };
  return {
    update(p) {
      const now = Date.now();
      if (tty) {
        process.stderr.write(`\r${text(p)}\u001b[K`);
        shown = true;
      } else if (now - last >= 2000) {
        process.stderr.write(`${text(p)}\n`);
        last = now;
      }
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

/** POSTs `body` to the import endpoint and yields the NDJSON lines of the answer as they arrive. */
async function* upload(api: ApiClient, query: URLSearchParams, body: Readable): AsyncGenerator<ImportLine> {
  const target = new URL(`${api.url}/api/v1/devices/import?${query.toString()}`);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', accept: 'application/x-ndjson' };
  const authorization = api.authorization();
  if (authorization !== undefined) headers['authorization'] = authorization;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  let req: ReturnType<typeof send> | undefined;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    req = send(target, { method: 'POST', headers });
    req.on('response', resolve);
    req.on('error', (err) => reject(api.unreachable(err)));
    body.on('error', (err) => {
      req?.destroy();
      reject(new CliError(`cannot read the import file: ${(err as NodeJS.ErrnoException).code ?? err.message}`, EXIT.usage));
    });
    body.pipe(req);
  });
  // The server may answer before it read the whole file (a refused request): stop sending then.
  const stop = () => {
    body.unpipe();
    body.destroy();
    req?.destroy();
  };
  if (response.statusCode !== 200) {
    let text = '';
    for await (const chunk of response) text += String(chunk);
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    stop();
    throw api.failure(response.statusCode ?? 0, parsed);
  }
  try {
    for await (const raw of createInterface({ input: response, crlfDelay: Infinity })) {
      if (raw.trim() === '') continue;
      yield JSON.parse(raw) as ImportLine;
    }
  } finally {
    stop();
  }
}

/** `deed import -f FORMAT FILE`. */
export function registerImport(program: Command): void {
  program.command('import')
    .description('import devices into your inventory from a Microchip manifest, a CSV or a JSON file; prints one result per entry as JSON (progress on stderr)')
    .requiredOption('-f, --format <format>', `file format: ${FORMATS.join(', ')}`)
    .argument('<file>', 'the file to import, or - for standard input')
    .option('--dry-run', 'validate every entry and report, but write nothing')
    .option('--join-eui <eui>', 'JoinEUI for CSV/JSON rows that have no join_eui / app_eui column')
    .option('--application <id>', 'owners: import into this application of yours, claiming every device (rows need their claim_authentication_code when the maker registered the device already)')
    .option('--set-claim-code', 'with --application: give each device a new claim authentication code, for a later hand-over')
    .addHelpText('after', `
Each device gets the owner token of its row (claim_authentication_code) or a generated one.
Entries that fail are reported with their index and reason; the others are imported, and the
command exits 1. Running the same import again imports nothing twice, so an interrupted import
can simply be run again.

CSV headers follow The Things Stack: dev_eui, join_eui (or app_eui), app_key, nwk_key, name,
lorawan_version, vendor_id, vendor_profile_id, claim_authentication_code; comma or semicolon.

Example:
  deed import -f microchip-atecc608 manifest.json`)
    .action(async (file: string, opts: { format: string; dryRun?: boolean; joinEui?: string; application?: string; setClaimCode?: boolean }, command: Command) => {
      if (!FORMATS.includes(opts.format)) {
        throw new CliError(`-f/--format: expected one of ${FORMATS.join(', ')}, got "${opts.format}"`, EXIT.usage);
      }
      const ctx = commandContext(command);
      const source = openSource(file);
      const query = new URLSearchParams({ format: opts.format });
      if (opts.dryRun === true) query.set('dryRun', 'true');
      if (opts.joinEui !== undefined) query.set('joinEui', opts.joinEui);
      if (opts.setClaimCode === true && opts.application === undefined) throw new CliError('--set-claim-code goes with --application', EXIT.usage);
      if (opts.application !== undefined) query.set('applicationId', opts.application);
      if (opts.setClaimCode === true) query.set('setClaimCode', 'true');
      const progress = progressReporter(source.size);
      const table: Record<string, unknown>[] = [];
      let first = true;
      let failed = 0;
      let summary: Extract<ImportLine, { type: 'summary' }> | undefined;
      let stopped: Extract<ImportLine, { type: 'error' }> | undefined;
      let answered = false;
      const emit = (entry: Record<string, unknown>) => {
        if (ctx.format === 'table') {
          table.push(entry);
          return;
        }
        const text = JSON.stringify(entry, null, 2).replace(/^/gm, '  ');
        process.stdout.write(`${first ? '[\n' : ',\n'}${text}`);
        first = false;
      };
      try {
        for await (const line of upload(ctx.api, query, source.stream)) {
          answered = true;
          if (line.type === 'result') {
            if (!line.ok) failed += 1;
            emit(printable(line));
          } else if (line.type === 'progress') {
            progress.update(line);
          } else if (line.type === 'summary') {
            summary = line;
          } else {
            stopped = line;
          }
        }
      } finally {
        progress.done();
        if (answered && ctx.format === 'table') ctx.print(table, ['devEUI', 'ownerToken', 'rootKeysExposed', 'index', 'error', 'message']);
        else if (answered) process.stdout.write(first ? '[]\n' : '\n]\n');
      }
      if (stopped !== undefined) {
        throw new CliError(`the import stopped: ${stopped.message}; the entries reported above were processed, fix the file and run the same command again`, EXIT.failed);
      }
      if (summary === undefined) throw new CliError('the server ended the import without a summary; run the same command again', EXIT.failed);
      const verb = opts.dryRun === true ? 'would import' : 'imported';
      process.stderr.write(`${verb} ${summary.imported}, already there ${summary.alreadyImported}, failed ${summary.failed} (file SHA-256 ${summary.fileSha256})\n`);
      if (failed > 0) throw new CliError(`${failed} of ${summary.processed} entries failed; see their index and message above`, EXIT.failed);
    });
}
