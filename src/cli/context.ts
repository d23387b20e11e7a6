import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { resolveConnection } from './connection.js';
import { parseOutputFormat, print, type OutputFormat } from './output.js';
import { readSecretOption } from './secret-input.js';

/** The global options every command sees. */
export interface GlobalOptions {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly config?: string;
  readonly output?: string;
}

/** The API client and output format for a command, from its global options. */
export function commandContext(command: Command): { api: ApiClient; format: OutputFormat; print(value: unknown, columns?: readonly string[]): void } {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const password = readSecretOption(opts.password, '--password');
  const connection = resolveConnection({
    ...(opts.url !== undefined ? { url: opts.url } : {}),
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(opts.config !== undefined ? { config: opts.config } : {}),
  });
  const format = parseOutputFormat(opts.output);
  return { api: new ApiClient(connection), format, print: (value, columns) => print(value, format, columns) };
}
