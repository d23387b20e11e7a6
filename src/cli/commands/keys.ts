import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KeyVaultError } from '../../keyvault/errors.js';
import { parseKek } from '../../keyvault/kek.js';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { promptSecret, readSecretOption } from '../secret-input.js';

/** Entries per request of `keys import-vendor` (the server takes up to 10,000). */
const VENDOR_CHUNK = 5000;
const VENDOR_TABLE = ['index', 'ok', 'devEUI', 'uniqueId', 'attached', 'unchanged', 'code', 'message'];

interface VendorKeyAnswer {
  results: { index: number; ok: boolean; code?: string }[];
  summary: { total: number; attached: number; unchanged: number; failed: number; dryRun: boolean };
}

/** `deed keys rotate` (re-encrypt everything at rest under a new master key) and `deed keys import-vendor`. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('master keys that encrypt root keys, session keys and KEKs at rest; root keys from vendor key batches');
  keys.command('rotate')
    .description('generate a new master key (or use DEED_MASTER_KEY) and re-encrypt every stored secret under it; '
      + 'safe to interrupt and run again. Runs against the database directly, with the server\'s settings.')
    .option('--config <file>', 'the server\'s YAML configuration file (or DEED_CONFIG)')
    .option('--batch-size <n>', 'values re-encrypted per transaction', '500')
    .action(async (opts: { config?: string; batchSize: string }) => {
      const { loadConfig } = await import('../../config/index.js');
      const { runKeyRotation } = await import('../../keyvault/index.js');
      const { createStores, migrateToLatest, openDatabase } = await import('../../storage/index.js');
      const file = opts.config ?? process.env['DEED_CONFIG'];
      const config = loadConfig({ env: process.env, ...(file !== undefined ? { file } : {}) });
      const batchSize = Number(opts.batchSize);
      const handle = await openDatabase(config.database.url);
      try {
        await migrateToLatest(handle);
        const stores = createStores(handle);
        const result = await runKeyRotation({
          dataDir: config.dataDir,
          store: stores.sealedValues,
          batchSize: Number.isInteger(batchSize) && batchSize > 0 ? batchSize : 500,
          env: {
            ...(config.masterKey !== undefined ? { masterKey: config.masterKey } : {}),
            ...(config.previousMasterKeys !== undefined ? { previousMasterKeys: config.previousMasterKeys } : {}),
          },
          onProgress: (examined, resealed) => process.stderr.write(`\rexamined ${examined}, re-encrypted ${resealed}`),
        });
        process.stderr.write('\n');
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await handle.close();
      }
    });

  keys.command('import-vendor')
    .description('attach root keys from a vendor key batch to devices, by secure element (uniqueId) or DevEUI (admin only); '
      + 'the keys in FILE are wrapped (RFC 3394) under a transport KEK given separately. Prints one result per entry (JSON); '
      + 'exit 1 when any entry failed. See docs/custody.md.')
    .argument('<file>', 'the batch: {"kekLabel": …, "devices": [{"uniqueId" or "devEui", "appKey", "nwkKey"?}, …]}')
    .option('--kek <kek>', 'the transport KEK, 32, 48 or 64 hex digits; @file reads it from a file, - from standard input '
      + '(asked for on a terminal when absent)')
    .option('--replace', 'overwrite root keys a device already has (otherwise such entries fail with keys_present)')
    .option('--dry-run', 'unwrap and check every entry, change nothing')
    .addHelpText('after', '\nExample:\n  deed keys import-vendor batch-2026-03.json --kek @/secure/vendor-2026.kek --dry-run')
    .action(async (file: string, opts: { kek?: string; replace?: boolean; dryRun?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      const batch = readVendorBatch(file);
      const kek = await transportKek(opts.kek);
      const devices = batch.devices;
      const results: VendorKeyAnswer['results'] = [];
      const chunked = devices.length > VENDOR_CHUNK;
      let answered = false;
      try {
        for (let start = 0; start === 0 || start < devices.length; start += VENDOR_CHUNK) {
          const answer = await ctx.api.request<VendorKeyAnswer>('POST', '/api/v1/vendor-keys', {
            kek,
            ...(batch.kekLabel !== undefined ? { kekLabel: batch.kekLabel } : {}),
            devices: devices.slice(start, start + VENDOR_CHUNK),
            dryRun: opts.dryRun === true,
            replace: opts.replace === true,
          });
          for (const result of answer.results) results.push({ ...result, index: result.index + start });
          answered = true;
          if (chunked) process.stderr.write(`\rvendor keys: ${results.length} of ${devices.length} entries`);
        }
      } finally {
        if (chunked) process.stderr.write('\n');
        // A part that failed (say, the connection) still shows what the parts before it did.
        if (answered) ctx.print(results, VENDOR_TABLE);
      }
      const failed = results.filter((r) => !r.ok);
      const attached = results.filter((r) => r.ok && (r as { attached?: unknown[] }).attached?.length !== 0).length;
      const verb = opts.dryRun === true ? 'would attach' : 'attached';
      process.stderr.write(`${verb} keys to ${attached} devices, ${results.length - attached - failed.length} unchanged, ${failed.length} failed\n`);
      if (failed.length > 0) {
        const codes = [...new Set(failed.map((r) => r.code ?? '?'))].join(', ');
        throw new CliError(`${failed.length} of ${results.length} entries failed (${codes}); see the results`, EXIT.failed);
      }
    });
}

/** Reads a vendor key batch file; a file that is not one exits 1 with what is wrong (never its content). */
function readVendorBatch(file: string): { kekLabel?: unknown; devices: unknown[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${file}: not valid JSON (truncated, or not JSON at all); expected {"kekLabel": …, "devices": [ … ]}`, EXIT.failed);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${file}: expected a JSON object {"kekLabel": …, "devices": [ … ]}`, EXIT.failed);
  }
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => key !== 'kekLabel' && key !== 'devices');
  if (unknown !== undefined) throw new CliError(`${file}: unknown field "${unknown.slice(0, 64)}"; expected kekLabel and devices`, EXIT.failed);
  if (!Array.isArray(fields['devices'])) throw new CliError(`${file}: "devices" must be an array of entries`, EXIT.failed);
  return { devices: fields['devices'] as unknown[], ...(fields['kekLabel'] !== undefined ? { kekLabel: fields['kekLabel'] } : {}) };
}

/** The transport KEK, checked here so a typo is a usage error; sent as plain hex. */
async function transportKek(option: string | undefined): Promise<string> {
  let value = readSecretOption(option, '--kek');
  if (value === undefined) {
    if (process.stdin.isTTY !== true) throw new CliError('give --kek (hex, @file or - for standard input): the transport KEK the batch is wrapped under', EXIT.usage);
    value = await promptSecret('transport KEK (hex): ');
  }
  try {
    return Buffer.from(parseKek(value, '--kek')).toString('hex');
  } catch (err) {
    if (err instanceof KeyVaultError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}
