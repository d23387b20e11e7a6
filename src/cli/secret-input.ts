import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, EXIT } from './cli-error.js';

let stdinUsed = false;

/**
 * A secret given on the command line may also come from a file (`@path`) or standard input
 * (`-`), so it need not appear in the shell history or the process list.
 */
export function readSecretOption(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === '-') return readStdinOnce(option);
  if (value.startsWith('@')) return readSecretFile(value.slice(1), option);
  return value;
}

/** Reads all of standard input (for `--password-stdin` and `-` values). */
function readStdinText(what: string): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliError(`${what}: cannot read standard input: ${(err as Error).message}`, EXIT.usage);
  }
}

/** Reads all of standard input for `option`, refusing a second option that wants it too. */
export function readStdinOnce(option: string): string {
  if (stdinUsed) throw new CliError(`${option}: standard input was already read for another option`, EXIT.usage);
  stdinUsed = true;
  return readStdinText(option);
}

/** Reads a secret from a file: its content without the final newline (spaces are kept). */
export function readSecretFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliError(`${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
}

/**
 * Asks for a secret on the terminal without echoing it (the prompt goes to stderr). Ctrl-C
 * cancels with a usage error. Only for a terminal: check `process.stdin.isTTY` first.
 */
export async function promptSecret(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () => reject(new CliError('cancelled', EXIT.usage)));
      rl.on('close', () => reject(new CliError('cancelled: standard input closed', EXIT.usage)));
      rl.question('', resolve);
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** Where a new password comes from: `--password-stdin`, `--password-file`, or a prompt. */
export interface NewPasswordOptions {
  readonly passwordStdin?: boolean;
  readonly passwordFile?: string;
}

/**
 * A new password (for `accounts add` and `accounts password`): from standard input, from a
 * file, or typed twice at a terminal with echo off. Without a terminal one of the options is
 * required.
 */
export async function readNewPassword(opts: NewPasswordOptions, what: string): Promise<string> {
  if (opts.passwordStdin === true && opts.passwordFile !== undefined) {
    throw new CliError('give --password-stdin or --password-file, not both', EXIT.usage);
  }
  let password: string;
  if (opts.passwordStdin === true) {
    password = readStdinOnce('--password-stdin');
  } else if (opts.passwordFile !== undefined) {
    password = readSecretFile(opts.passwordFile, '--password-file');
  } else if (process.stdin.isTTY === true) {
    password = await promptSecret(`${what}: `);
    if ((await promptSecret(`${what} (again): `)) !== password) throw new CliError('the two passwords differ', EXIT.usage);
  } else {
    throw new CliError(`${what}: give --password-stdin or --password-file (standard input is not a terminal to ask on)`, EXIT.usage);
  }
  if (password === '') throw new CliError(`${what}: the password is empty`, EXIT.usage);
  return password;
}
