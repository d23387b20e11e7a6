import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from './cli-error.js';
import { readSavedConfig } from './connection.js';
import { savedConfigText, writeSavedConfig } from './save-config.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('writeSavedConfig', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'deed-save-config-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file 0600 in a new 0700 directory, in the format readSavedConfig reads', () => {
    const path = join(dir, 'xdg', 'deed', 'config.yaml');
    const credentials = { url: 'http://127.0.0.1:8580', username: 'acme', password: 'p: "#quoted\' #not a comment' };
    writeSavedConfig(path, credentials);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, 'xdg', 'deed'))).toBe(0o700);
    expect(mode(join(dir, 'xdg'))).toBe(0o700);
    expect(readSavedConfig(path)).toEqual(credentials);
    expect(readdirSync(join(dir, 'xdg', 'deed'))).toEqual(['config.yaml']);
  });

  it('replaces an existing file (whatever its keys and mode) with a 0600 one, leaving no temporary file', () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, 'url: http://old:1\napiKey: dk_old\n');
    chmodSync(path, 0o644);
    const before = statSync(path).ino;
    writeSavedConfig(path, { url: 'https://new.example.com', username: 'olive', password: 'owner password 1' });
    expect(mode(path)).toBe(0o600);
    expect(statSync(path).ino).not.toBe(before);
    expect(readSavedConfig(path)).toEqual({ url: 'https://new.example.com', username: 'olive', password: 'owner password 1' });
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('leaves an existing directory mode alone', () => {
    const sub = join(dir, 'shared');
    mkdirSync(sub, { mode: 0o755 });
    chmodSync(sub, 0o755);
    writeSavedConfig(join(sub, 'config.yaml'), { url: 'http://a:1', username: 'u', password: 'p' });
    expect(mode(sub)).toBe(0o755);
  });

  it('fails with a one-line usage error and no temporary file when it cannot write', () => {
    const path = join(dir, 'is-a-directory');
    mkdirSync(join(path, 'inside'), { recursive: true });
    let error: unknown;
    try {
      writeSavedConfig(path, { url: 'http://a:1', username: 'u', password: 'p' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.usage);
    expect((error as CliError).message).toMatch(/^cannot write the configuration file .*is-a-directory: E[A-Z]+$/);
    expect(readdirSync(dir)).toEqual(['is-a-directory']);
  });

  it('writes a comment saying the file is private, and only url, username and password', () => {
    const text = savedConfigText({ url: 'http://a:1', username: 'u', password: 'p' });
    expect(text).toMatch(/^# .*keep it private/);
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['url: http://a:1', 'username: u', 'password: p']);
  });
});
