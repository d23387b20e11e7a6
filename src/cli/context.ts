import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { resolveConnection, type Connection } from './connection.js';
import { globalOptionValues } from './global-options.js';
import { parseOutputFormat, print, type OutputFormat } from './output.js';
import { readSecretOption } from './secret-input.js';

export type { GlobalOptions } from './global-options.js';

/** What a command works with: the API client, the connection it uses, the output format. */
export interface CommandContext {
  readonly api: ApiClient;
  readonly connection: Connection;
  readonly format: OutputFormat;
  print(value: unknown, columns?: readonly string[]): void;
}

/** The API client and output format for a command, from its global options. */
export function commandContext(command: Command): CommandContext {
  const opts = globalOptionValues(command);
  const password = readSecretOption(opts.password, '--password');
  const apiKey = readSecretOption(opts.apiKey, '--api-key');
  const connection = resolveConnection({
    ...(opts.url !== undefined ? { url: opts.url } : {}),
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
  const format = parseOutputFormat(opts.output);
  return { api: new ApiClient(connection), connection, format, print: (value, columns) => print(value, format, columns) };
}
