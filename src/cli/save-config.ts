import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { CliError, EXIT } from './cli-error.js';

/** What `deed init` saves: the keys {@link readSavedConfig} in connection.ts reads. */
export interface SavedCredentials {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/** The YAML text of a saved configuration (the password included: the file is private). */
export function savedConfigText(credentials: SavedCredentials): string {
  const { url, username, password } = credentials;
  return '# deed CLI configuration, written by "deed init". It holds a password: keep it private (mode 0600).\n'
    + stringify({ url, username, password });
}

/**
 * Writes the saved configuration to `path` readable by its owner only (0600), creating its
 * directory (0700) when missing. An existing file is replaced atomically: the text goes to a
 * temporary file beside it (created 0600), which is flushed and then renamed over the old one,
 * so a reader sees the old file or the new one, never half of one.
 */
export function writeSavedConfig(path: string, credentials: SavedCredentials): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`cannot create the directory ${dir}: ${describe(err)}`, EXIT.usage);
  }
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    fchmodSync(fd, 0o600);
    writeSync(fd, savedConfigText(credentials));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw new CliError(`cannot write the configuration file ${path}: ${describe(err)}`, EXIT.usage);
  }
  syncDirectory(dir);
}

/** Makes the rename durable; best effort (not every platform or file system can sync a directory). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The file is written either way.
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
