import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from './cli-error.js';

/** Where and as whom the CLI talks to a Deed server: with an API key, or else username and password. */
export interface Connection {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** An API key (`dk_…`), sent as `Authorization: Bearer`; when set, username and password are undefined. */
  readonly apiKey: string | undefined;
}

export interface ConnectionOptions {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly apiKey?: string;
  readonly config?: string;
}

type SavedKey = 'url' | 'username' | 'password' | 'apiKey';

/** The saved configuration file: `$XDG_CONFIG_HOME/deed/config.yaml`, or `~/.config/deed/config.yaml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : join(homedir(), '.config');
  return join(base, 'deed', 'config.yaml');
}

/** Reads the saved configuration; an absent file is an empty configuration. */
export function readSavedConfig(path: string): Partial<Record<SavedKey, string>> {
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
    throw new CliError(`the configuration file ${path} is not valid YAML; fix it (keys: url, username, password, apiKey)`, EXIT.usage);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`the configuration file ${path} must be a YAML mapping with url, username and password (or apiKey)`, EXIT.usage);
  }
  const out: Partial<Record<SavedKey, string>> = {};
  for (const key of ['url', 'username', 'password', 'apiKey'] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/**
 * Options beat environment (DEED_URL, DEED_USERNAME, DEED_PASSWORD, DEED_API_KEY), which beats
 * the saved file. An API key replaces username and password unless the password comes from a
 * place that beats the key's (e.g. `--password` given while DEED_API_KEY is set).
 */
export function resolveConnection(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Connection {
  const saved = readSavedConfig(options.config ?? env['DEED_CONFIG_FILE'] ?? defaultConfigPath(env));
  const fromEnv = (name: string) => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const pick = (opt: string | undefined, envName: string, file: string | undefined) => opt ?? fromEnv(envName) ?? file;
  /** 0: an option, 1: the environment, 2: the saved file, 3: nowhere. */
  const level = (opt: string | undefined, envName: string, file: string | undefined) =>
    opt !== undefined ? 0 : fromEnv(envName) !== undefined ? 1 : file !== undefined ? 2 : 3;
  const url = pick(options.url, 'DEED_URL', saved.url) ?? 'http://127.0.0.1:8580';
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new CliError(`--url: "${url}" is not an http:// or https:// URL`, EXIT.usage);
  }
  const apiKey = pick(options.apiKey, 'DEED_API_KEY', saved.apiKey);
  const keyLevel = level(options.apiKey, 'DEED_API_KEY', saved.apiKey);
  const passwordLevel = level(options.password, 'DEED_PASSWORD', saved.password);
  if (apiKey !== undefined && keyLevel <= passwordLevel) {
    return { url: url.replace(/\/+$/, ''), username: undefined, password: undefined, apiKey };
  }
  return {
    url: url.replace(/\/+$/, ''),
    username: pick(options.username, 'DEED_USERNAME', saved.username),
    password: pick(options.password, 'DEED_PASSWORD', saved.password),
    apiKey: undefined,
  };
}
