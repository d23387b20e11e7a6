import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from './cli-error.js';

/** Where and as whom the CLI talks to a Deed server. */
export interface Connection {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

export interface ConnectionOptions {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly config?: string;
}

/** The saved configuration file: `$XDG_CONFIG_HOME/deed/config.yaml`, or `~/.config/deed/config.yaml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : join(homedir(), '.config');
  return join(base, 'deed', 'config.yaml');
}

/** Reads the saved configuration; an absent file is an empty configuration. */
export function readSavedConfig(path: string): Partial<Record<'url' | 'username' | 'password', string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the configuration file ${path}: ${(err as Error).message}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    throw new CliError(`the configuration file ${path} is not valid YAML; fix it or run "deed init" again`, EXIT.usage);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`the configuration file ${path} must be a YAML mapping with url, username and password`, EXIT.usage);
  }
  const out: Partial<Record<'url' | 'username' | 'password', string>> = {};
  for (const key of ['url', 'username', 'password'] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** Options beat environment (DEED_URL, DEED_USERNAME, DEED_PASSWORD), which beats the saved file. */
export function resolveConnection(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Connection {
  const saved = readSavedConfig(options.config ?? env['DEED_CONFIG_FILE'] ?? defaultConfigPath(env));
  const pick = (opt: string | undefined, envName: string, file: string | undefined) =>
    opt ?? (env[envName] !== undefined && env[envName] !== '' ? env[envName] : undefined) ?? file;
  const url = pick(options.url, 'DEED_URL', saved.url) ?? 'http://127.0.0.1:8580';
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new CliError(`--url: "${url}" is not an http:// or https:// URL`, EXIT.usage);
  }
  return {
    url: url.replace(/\/+$/, ''),
    username: pick(options.username, 'DEED_USERNAME', saved.username),
    password: pick(options.password, 'DEED_PASSWORD', saved.password),
  };
}
