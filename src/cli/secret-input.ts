import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';

let stdinUsed = false;

/**
 * A secret given on the command line may also come from a file (`@path`) or standard input
 * (`-`), so it need not appear in the shell history or the process list.
 */
export function readSecretOption(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === '-') {
    if (stdinUsed) throw new CliError(`${option}: standard input was already read for another option`, EXIT.usage);
    stdinUsed = true;
    return readStdinText(option);
  }
  if (value.startsWith('@')) {
    try {
      return readFileSync(value.slice(1), 'utf8').trim();
    } catch (err) {
      throw new CliError(`${option}: cannot read ${value.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  }
  return value;
}

/** Reads all of standard input (for `--password-stdin` and `-` values). */
export function readStdinText(what: string): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliError(`${what}: cannot read standard input: ${(err as Error).message}`, EXIT.usage);
  }
}
