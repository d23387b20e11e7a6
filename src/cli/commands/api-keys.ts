import { Command } from 'commander';
import { SCOPES, SCOPE_DESCRIPTIONS } from '../../accounts/scopes.js';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';

const TABLE = ['id', 'name', 'scopes', 'status', 'createdAt', 'lastUsedAt', 'expiresAt'];
const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_LIFETIME_MS = 10 * 366 * 86_400_000;

/** `30d`, `12h`, `90m`, `2w`, `3600s` → milliseconds (1 second to 10 years). */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,9})\s*([smhdw])$/i.exec(text.trim());
  const ms = match === null ? NaN : Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? NaN);
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_LIFETIME_MS) {
    throw new CliError(`${option}: expected a duration such as 30d, 12h, 90m, 2w or 3600s, up to 10 years; got "${text}"`, EXIT.usage);
  }
  return ms;
}

const SCOPE_HELP = `\nScopes (never more than your role allows):\n${SCOPES.map((s) => `  ${s.padEnd(20)} ${SCOPE_DESCRIPTIONS[s]}`).join('\n')}\n`;

/** `deed api-keys create|list|revoke`: keys for scripts, sent as `Authorization: Bearer dk_…`. */
export function registerApiKeys(program: Command): void {
  const keys = program.command('api-keys')
    .description('create, list and revoke API keys (needs your username and password, not an API key)');

  keys.command('create')
    .description('create an API key for your account; the key is printed this once (only its hash is stored)')
    .requiredOption('--name <name>', 'what the key is for, e.g. "label printer"')
    .requiredOption('--scope <scope...>', 'what the key may do: one or more scopes (space or comma separated)')
    .option('--expires-in <duration>', 'expire after this long: 30d, 12h, 90m, 2w, 3600s (default: never)')
    .addHelpText('after', SCOPE_HELP)
    .action(async (opts: { name: string; scope: string[]; expiresIn?: string }, command: Command) => {
      const scopes = opts.scope.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
      const expiresAt = opts.expiresIn === undefined ? undefined : new Date(Date.now() + parseDuration(opts.expiresIn, '--expires-in')).toISOString();
      const ctx = commandContext(command);
      const created = await ctx.api.request('POST', '/api/v1/me/api-keys', {
        name: opts.name, scopes, ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
      ctx.print(created, ['id', 'name', 'scopes', 'expiresAt', 'key']);
      if (process.stderr.isTTY === true) process.stderr.write('Store the key now: it is not shown again.\n');
    });

  keys.command('list')
    .description('list your API keys (or, as an admin, another account\'s), revoked and expired ones included; never the keys')
    .option('--account <username>', 'another account (admin only)')
    .action(async (opts: { account?: string }, command: Command) => {
      const ctx = commandContext(command);
      const path = opts.account === undefined ? '/api/v1/me/api-keys' : `/api/v1/accounts/${encodeURIComponent(opts.account)}/api-keys`;
      ctx.print(await ctx.api.request('GET', path), TABLE);
    });

  keys.command('revoke')
    .description('revoke an API key at once (yours, or as an admin another account\'s with --account)')
    .argument('<id>', 'the key\'s id, from "deed api-keys list"')
    .option('--account <username>', 'the account that holds the key (admin only)')
    .action(async (id: string, opts: { account?: string }, command: Command) => {
      const ctx = commandContext(command);
      const path = opts.account === undefined
        ? `/api/v1/me/api-keys/${encodeURIComponent(id)}`
        : `/api/v1/accounts/${encodeURIComponent(opts.account)}/api-keys/${encodeURIComponent(id)}`;
      await ctx.api.request('DELETE', path);
      ctx.print({ revoked: id });
    });
}
