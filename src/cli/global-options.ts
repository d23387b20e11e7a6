import { Option, type Command } from 'commander';

/** The connection and output options every command takes. */
export interface GlobalOptions {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly apiKey?: string;
  readonly output?: string;
}

/** The global options, as defined on the program (and copied, hidden, onto every command). */
function globalOptionList(): Option[] {
  return [
    new Option('--url <url>', 'Deed server URL (or DEED_URL; default from the saved configuration, else http://127.0.0.1:8580)'),
    new Option('--username <name>', 'account name (or DEED_USERNAME)'),
    new Option('--password <password>', 'password (or DEED_PASSWORD); @file or - for stdin'),
    new Option('--api-key <key>', 'API key dk_… instead of username and password (or DEED_API_KEY); @file or - for stdin'),
    new Option('-o, --output <format>', 'output format').choices(['json', 'table']),
  ];
}

const GLOBAL_KEYS = new Set(['url', 'username', 'password', 'apiKey', 'output']);
/** The hidden copies made by {@link shareGlobalOptions}, told apart from a command's own options. */
const copies = new WeakSet<Option>();

/** Defines the global options on the program. */
export function addGlobalOptions(program: Command): Command {
  for (const option of globalOptionList()) {
    program.addOption(option.attributeName() === 'output' ? option.default('json') : option);
  }
  return program;
}

/**
 * Global options go before the command (`deed --url U device list`) or after it (`deed device
 * list --url U`). The program parses only the first kind (positional options), so that a
 * command may have an option of the same name (`deed accounts add --username U`, the new
 * account); each command gets hidden copies of the global options it does not define itself.
 * Call after every command is registered.
 */
export function shareGlobalOptions(program: Command): void {
  const visit = (command: Command): void => {
    if (command.commands.length > 0) {
      command.commands.forEach(visit);
      return;
    }
    for (const option of globalOptionList()) {
      const taken = command.options.some((own) =>
        (option.long !== undefined && own.long === option.long) || (option.short !== undefined && own.short === option.short));
      if (taken) continue;
      option.hideHelp();
      copies.add(option);
      command.addOption(option);
    }
  };
  program.commands.forEach(visit);
}

/**
 * The global options in effect for a command: the program's, overridden by those given after
 * the command name. A command's own option of the same name (`accounts add --username`) is not
 * a global option.
 */
export function globalOptionValues(command: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) chain.unshift(c);
  const values: Record<string, unknown> = {};
  for (const cmd of chain) {
    for (const option of cmd.options) {
      const key = option.attributeName();
      if (!GLOBAL_KEYS.has(key) || (cmd.parent !== null && !copies.has(option))) continue;
      const value: unknown = cmd.getOptionValue(key);
      if (value !== undefined) values[key] = value;
    }
  }
  return values as GlobalOptions;
}
