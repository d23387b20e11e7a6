import { Command, Option } from 'commander';
import { ROLES } from '../../accounts/account.js';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { readNewPassword, type NewPasswordOptions } from '../secret-input.js';

const TABLE = ['username', 'role', 'disabled', 'createdAt', 'id'];
const PASSWORD_STDIN = 'read the password from standard input (one line)';
const PASSWORD_FILE = 'read the password from a file (its content without the final newline)';
const PROMPTED = 'Without either, the password is asked for twice on the terminal, not echoed.';

/** `deed accounts add|list|disable|enable|password`. */
export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts')
    .description('create, list, disable and enable accounts (admin); change your password');

  accounts.command('add')
    .description(`create an account (admin only); prints it as JSON, never the password. ${PROMPTED}`)
    .requiredOption('--username <name>', 'the new account: 3-64 characters, lower-case letters, digits, ".", "_" or "-"')
    .addOption(new Option('--role <role>', 'admin, provisioner (device maker) or owner').choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', `${PASSWORD_STDIN}; at least 12 characters`)
    .option('--password-file <file>', PASSWORD_FILE)
    .addHelpText('after', '\nHere --username is the new account: give your own before "accounts" (or in DEED_USERNAME):\n'
      + '  deed --username admin accounts add --username acme --role provisioner --password-stdin < acme.pw')
    .action(async (opts: NewPasswordOptions & { username: string; role: string }, command: Command) => {
      const ctx = commandContext(command);
      const password = await readNewPassword(opts, `password for ${opts.username}`);
      ctx.print(await ctx.api.request('POST', '/api/v1/accounts', { username: opts.username, role: opts.role, password }), TABLE);
    });

  accounts.command('list')
    .description('list accounts by username (admin only)')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', '/api/v1/accounts'), TABLE);
    });

  accounts.command('disable')
    .description('disable an account (admin only, not your own): its API keys stop at once, its password within 30 seconds')
    .argument('<username>', 'the account')
    .action(async (username: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('POST', `/api/v1/accounts/${encodeURIComponent(username)}/disable`), TABLE);
    });

  accounts.command('enable')
    .description('enable a disabled account again (admin only)')
    .argument('<username>', 'the account')
    .action(async (username: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('POST', `/api/v1/accounts/${encodeURIComponent(username)}/enable`), TABLE);
    });

  accounts.command('password')
    .description(`change your own password; the current one is the password you connect with. ${PROMPTED}`)
    .option('--password-stdin', `${PASSWORD_STDIN}: the new password`)
    .option('--password-file <file>', `${PASSWORD_FILE}: the new password`)
    .action(async (opts: NewPasswordOptions, command: Command) => {
      const ctx = commandContext(command);
      const currentPassword = ctx.connection.password;
      if (currentPassword === undefined) {
        throw new CliError('accounts password: connect with --username and --password (the current password), not an API key', EXIT.usage);
      }
      const newPassword = await readNewPassword(opts, 'new password');
      await ctx.api.request('PUT', '/api/v1/me/password', { currentPassword, newPassword });
      ctx.print({ changed: true });
    });
}
