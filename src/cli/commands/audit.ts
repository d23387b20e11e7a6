import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';

const TABLE = ['seq', 'at', 'actor', 'action', 'devEui', 'outcome', 'details'];

interface VerifyResult {
  ok: boolean;
  count?: number;
  headHash?: string;
  firstBadSeq?: number;
  reason?: string;
}

/** `deed audit [list] [--dev-eui X] [--after N] [--limit N]` and `deed audit verify` (admin, scope audit:read). */
export function registerAudit(program: Command): void {
  const audit = program.command('audit')
    .description('read and verify the tamper-evident audit log (admin; a device\'s maker or holder with --dev-eui); "deed audit" alone lists events')
    .addHelpText('after', '\nExamples:\n  deed audit --dev-eui 0004A30B001C0530\n  deed audit --after 100 --limit 50 -o table\n'
      + '  deed audit verify      exit 1 when the chain is broken, naming the first bad seq\n\nSee docs/audit.md.');

  audit.command('list', { isDefault: true })
    .description('print audit events by ascending seq (JSON array; -o table for a table)')
    .option('--dev-eui <devEui>', 'only events about this device')
    .option('--after <seq>', 'only events after this seq')
    .option('--limit <n>', 'at most this many events, 1 to 1000 (100 by default)')
    .action(async (opts: { devEui?: string; after?: string; limit?: string }, command: Command) => {
      const ctx = commandContext(command);
      const query = new URLSearchParams();
      if (opts.after !== undefined) query.set('afterSeq', opts.after);
      if (opts.limit !== undefined) query.set('limit', opts.limit);
      const suffix = query.size > 0 ? `?${query.toString()}` : '';
      // One device's trail is open to its maker and holder too; the whole log to admins only.
      const path = opts.devEui !== undefined ? `/api/v1/devices/${encodeURIComponent(opts.devEui)}/audit` : '/api/v1/audit';
      const page = await ctx.api.request('GET', `${path}${suffix}`) as { events: unknown[] };
      ctx.print(page.events, TABLE);
    });

  audit.command('verify')
    .description('recompute every hash and link of the audit chain; exit 1 when it is broken')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      const result = await ctx.api.request('GET', '/api/v1/audit/verify') as VerifyResult;
      ctx.print(result);
      if (!result.ok) {
        throw new CliError(`audit chain broken at seq ${result.firstBadSeq ?? '?'}: ${result.reason ?? 'unknown reason'}`, EXIT.failed);
      }
    });
}
