import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { registerAccounts } from './commands/accounts.js';
import { registerApiKeys } from './commands/api-keys.js';
import { registerAudit } from './commands/audit.js';
import { registerClaim } from './commands/claim.js';
import { registerDevice } from './commands/device.js';
import { registerInit } from './commands/init.js';
import { registerImport } from './commands/import.js';
import { registerInventory } from './commands/inventory.js';
import { registerKeys } from './commands/keys.js';
import { registerPeer } from './commands/peer.js';
import { registerQr } from './commands/qr.js';
import { registerServe } from './commands/serve.js';
import { registerWebhooks } from './commands/webhooks.js';
import { addGlobalOptions, shareGlobalOptions } from './global-options.js';

/** The `deed` command line, with its global connection options. */
export function buildProgram(): Command {
  const program = new Command('deed')
    .description('Deed: device claiming and LoRaWAN Join Server')
    .version(packageVersion())
    // Global options before the command name belong to the program, after it to the command
    // (which has copies of them, see global-options.ts): `accounts add --username` is the new account.
    .enablePositionalOptions()
    // Usage errors follow the rule of every CLI error (docs/cli.md): one line on stderr starting with "deed:".
    // Subcommands inherit this output configuration.
    .configureOutput({ outputError: (message, write) => write(`deed: ${message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (add --help for usage)\n`) })
    .addHelpText('after', '\nExit codes: 0 ok, 1 the server refused, 2 usage error, 3 server unreachable, 4 authentication failed.');
  addGlobalOptions(program);
  registerServe(program);
  registerInit(program);
  registerInventory(program);
  registerImport(program);
  registerClaim(program);
  registerDevice(program);
  registerPeer(program);
  registerQr(program);
  registerKeys(program);
  registerAccounts(program);
  registerApiKeys(program);
  registerAudit(program);
  registerWebhooks(program);
  shareGlobalOptions(program);
  return program;
}
