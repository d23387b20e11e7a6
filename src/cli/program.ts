import { Command, Option } from 'commander';
import { packageVersion } from '../version.js';
import { registerDevice } from './commands/device.js';
import { registerKeys } from './commands/keys.js';
import { registerPeer } from './commands/peer.js';
import { registerServe } from './commands/serve.js';

/** The `deed` command line, with its global connection options. */
export function buildProgram(): Command {
  const program = new Command('deed')
    .description('Deed: device claiming and LoRaWAN Join Server')
    .version(packageVersion())
    .option('--url <url>', 'Deed server URL (or DEED_URL; default from the saved configuration, else http://127.0.0.1:8580)')
    .option('--username <name>', 'account name (or DEED_USERNAME)')
    .option('--password <password>', 'password (or DEED_PASSWORD); @file or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'table']).default('json'))
    // Usage errors follow the rule of every CLI error (docs/cli.md): one line on stderr starting with "deed:".
    // Subcommands inherit this output configuration.
    .configureOutput({ outputError: (message, write) => write(`deed: ${message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (add --help for usage)\n`) })
    .addHelpText('after', '\nExit codes: 0 ok, 1 the server refused, 2 usage error, 3 server unreachable, 4 authentication failed.');
  registerServe(program);
  registerDevice(program);
  registerPeer(program);
  registerKeys(program);
  return program;
}
