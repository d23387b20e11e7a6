import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../cli-error.js';
import { defaultConfigPath, resolveConnection } from '../connection.js';
import { globalOptionValues } from '../global-options.js';
import { parseOutputFormat, print } from '../output.js';
import { terminalPrompter, type Prompter } from '../prompt.js';
import { writeSavedConfig, type SavedCredentials } from '../save-config.js';
import { readSecretFile, readSecretOption, readStdinOnce } from '../secret-input.js';

const DEFAULT_URL = 'http://127.0.0.1:8580';

/** What `deed init` was given on its command line (the password already read). */
export interface InitGiven {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly config?: string;
  readonly yes: boolean;
}

/** The account `GET /api/v1/me` describes. */
export interface Me {
  readonly username: string;
  readonly role: string;
}

/** What `deed init` works with, so that its steps can be tested without a terminal or server. */
export interface InitDeps {
  /** Asks for what was not given; undefined when standard input is not a terminal. */
  readonly prompter: Prompter | undefined;
  /** Shown in the prompts: the URL and username in effect now, and the saved configuration file. */
  readonly defaults: { readonly url: string; readonly username: string | undefined; readonly config: string };
  /** Resolves a configuration file path the user typed (`~/…`, relative to the working directory). */
  resolvePath(path: string): string;
  /** `GET /api/v1/me` with HTTP Basic; a CliError (exit 3 or 4) when unreachable or refused. */
  verify(credentials: SavedCredentials): Promise<Me>;
  exists(path: string): boolean;
  save(path: string, credentials: SavedCredentials): void;
  /** One line for the user, on stderr. */
  note(line: string): void;
}

/** What was saved, printed on stdout; never the password. */
export interface InitResult {
  readonly url: string;
  readonly username: string;
  readonly role: string;
  readonly config: string;
}

/**
 * Asks for (or takes from the command line) the server URL, username, password and the file to
 * save them in; checks the credentials against the server before anything is written; then
 * saves them. Undefined when the user declined to save.
 */
export async function runInit(given: InitGiven, deps: InitDeps): Promise<InitResult | undefined> {
  const { prompter, defaults } = deps;
  if (prompter === undefined) {
    const missing = [
      ...(given.url === undefined ? ['--url'] : []),
      ...(given.username === undefined ? ['--username'] : []),
      ...(given.password === undefined ? ['--password-stdin'] : []),
      ...(given.yes ? [] : ['--yes']),
    ];
    if (missing.length > 0) {
      throw new CliError(`init: give ${missing.join(', ')} (standard input is not a terminal to ask on)`, EXIT.usage);
    }
  }

  // Without a prompter every value asked below was given (checked above); the file has a default.
  const ask = (): Prompter => {
    if (prompter === undefined) throw new CliError('init: standard input is not a terminal to ask on', EXIT.usage);
    return prompter;
  };
  const url = given.url !== undefined ? checkedUrl(given.url) : await askUrl(ask(), defaults.url, deps.note);
  const username = given.username ?? await ask().text('Provisioner username', defaults.username);
  const password = given.password ?? await ask().secret('Provisioner password');
  if (username === '') throw new CliError('init: --username is empty', EXIT.usage);
  if (password === '') throw new CliError('init: the password is empty', EXIT.usage);
  const credentials: SavedCredentials = { url, username, password };

  // Progress is for a person at the terminal; a script's stderr stays for the result or one error line.
  const progress = prompter !== undefined ? deps.note : () => undefined;
  progress(`Checking the credentials with ${url} ...`);
  const me = await verifyOrExplain(deps, credentials);
  progress(`Signed in as ${me.username} (${me.role}).`);

  const config = deps.resolvePath(given.config ?? (prompter === undefined ? defaults.config : await prompter.text('Configuration file', defaults.config)));
  const replacing = deps.exists(config);
  if (!given.yes) {
    const save = await ask().confirm(`Save configuration to ${config}${replacing ? ' (replacing the file there)' : ''}?`, true);
    if (!save) {
      deps.note('Nothing was saved.');
      return undefined;
    }
  }
  deps.save(config, credentials);
  deps.note(`${replacing ? 'Replaced' : 'Saved'} ${config} (mode 0600): deed commands now connect to ${url} as ${username}.`);
  if (config !== defaults.config) {
    deps.note(`deed reads ${defaults.config} by default: set DEED_CONFIG_FILE=${config} to use this file.`);
  }
  return { url, username, role: me.role, config };
}

/** An http:// or https:// URL without trailing slashes; a usage error otherwise. */
export function checkedUrl(value: string): string {
  const url = value.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`init: --url: "${url}" is not an http:// or https:// URL`, EXIT.usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`init: --url: "${url}" is not an http:// or https:// URL`, EXIT.usage);
  }
  return url.replace(/\/+$/, '');
}

/** Asks for the server URL until the answer is an http:// or https:// URL. */
async function askUrl(prompter: Prompter, defaultUrl: string, note: (line: string) => void): Promise<string> {
  for (;;) {
    const answer = await prompter.text('Server URL', defaultUrl);
    try {
      return checkedUrl(answer);
    } catch {
      note('  (an http:// or https:// URL, e.g. https://deed.example.com)');
    }
  }
}

async function verifyOrExplain(deps: InitDeps, credentials: SavedCredentials): Promise<Me> {
  try {
    return await deps.verify(credentials);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    if (err.exitCode === EXIT.auth) {
      throw new CliError(`init: ${credentials.url} refused the credentials of "${credentials.username}" (${err.message}); nothing was saved`, EXIT.auth);
    }
    throw new CliError(`init: ${err.message}; nothing was saved`, err.exitCode);
  }
}

/** `~/x` is in the home directory, a relative path in the working directory. */
export function resolveConfigPath(path: string, home: string = homedir(), cwd: string = process.cwd()): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

/** The URL and username the other commands would use now (a broken saved file is ignored: init fixes it). */
function currentDefaults(command: Command): InitDeps['defaults'] {
  const env = process.env;
  const named = env['DEED_CONFIG_FILE'];
  const config = resolveConfigPath(named !== undefined && named !== '' ? named : defaultConfigPath(env));
  const globals = globalOptionValues(command);
  try {
    const current = resolveConnection({
      ...(globals.url !== undefined ? { url: globals.url } : {}),
      ...(globals.username !== undefined ? { username: globals.username } : {}),
    });
    return { url: current.url, username: current.username, config };
  } catch {
    return { url: DEFAULT_URL, username: undefined, config };
  }
}

interface InitOptions {
  readonly url?: string;
  readonly username?: string;
  readonly passwordStdin?: boolean;
  readonly passwordFile?: string;
  readonly config?: string;
  readonly yes?: boolean;
}

/** The password from --password-stdin, --password-file or the global --password; at most one. */
function givenPassword(opts: InitOptions, command: Command): string | undefined {
  const globalPassword = globalOptionValues(command).password;
  const sources = [opts.passwordStdin === true, opts.passwordFile !== undefined, globalPassword !== undefined].filter(Boolean).length;
  if (sources > 1) throw new CliError('init: give one of --password-stdin, --password-file and --password', EXIT.usage);
  if (opts.passwordStdin === true) return readStdinOnce('--password-stdin');
  if (opts.passwordFile !== undefined) return readSecretFile(opts.passwordFile, '--password-file');
  return readSecretOption(globalPassword, '--password');
}

/** `deed init`: ask for the server and credentials, check them, save them for the other commands. */
export function registerInit(program: Command): void {
  program.command('init')
    .description('set up the CLI: asks for the server URL, username, password (not echoed) and configuration file, '
      + 'checks the credentials with the server, then saves them (YAML, mode 0600) for the other commands')
    .option('--url <url>', 'the server URL (asked; default: the URL in effect now, else http://127.0.0.1:8580)')
    .option('--username <name>', 'your account (asked)')
    .option('--password-stdin', 'read the password from standard input (one line) instead of asking')
    .option('--password-file <file>', 'read the password from a file (its content without the final newline)')
    .option('--config <file>', 'the configuration file to write (asked; default $XDG_CONFIG_HOME/deed/config.yaml, '
      + 'i.e. ~/.config/deed/config.yaml, or DEED_CONFIG_FILE)')
    .option('-y, --yes', 'save without asking for confirmation')
    .addHelpText('after', '\nOn a terminal, what is not given is asked for. Without a terminal (a script), give everything:\n'
      + '  deed init --url https://deed.example.com --username acme --password-stdin --config ~/.config/deed/config.yaml --yes < acme.pw\n'
      + '\nNothing is written unless the server accepts the credentials (exit 3: unreachable, 4: refused).\n'
      + 'An existing file is replaced (atomically). Prints {"url","username","role","config"} as JSON; never the password.')
    .action(async (opts: InitOptions, command: Command) => {
      const globals = globalOptionValues(command);
      const format = parseOutputFormat(globals.output);
      const password = givenPassword(opts, command);
      const url = opts.url ?? globals.url;
      const username = opts.username ?? globals.username;
      const given: InitGiven = {
        ...(url !== undefined ? { url } : {}),
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(opts.config !== undefined ? { config: opts.config } : {}),
        yes: opts.yes === true,
      };
      const prompter = process.stdin.isTTY === true ? terminalPrompter() : undefined;
      try {
        const result = await runInit(given, {
          prompter,
          defaults: currentDefaults(command),
          resolvePath: (path) => resolveConfigPath(path),
          verify: (c) => new ApiClient({ url: c.url, username: c.username, password: c.password, apiKey: undefined }).request<Me>('GET', '/api/v1/me'),
          exists: existsSync,
          save: writeSavedConfig,
          note: (line) => process.stderr.write(`${line}\n`),
        });
        if (result !== undefined) print(result, format);
      } finally {
        prompter?.close();
      }
    });
}
