import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { runOnTerminal } from '../support/terminal.js';
import { ADMIN_PASSWORD, runDeed, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';

/**
 * `deed init` as a person runs it: at a real terminal (a pseudo-terminal made by util-linux
 * `script`), answering its prompts, against a real `deed serve`; and as a script runs it, with
 * flags and the password on standard input. The saved file is then all later commands need.
 */

const MAKER = { username: 'acme-maker', password: 'maker password 1' };
const STACK_TRACE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

/** The JSON summary `deed init` printed on the terminal. */
function summaryOn(screen: string): Record<string, unknown> {
  const json = /\{[^{}]*"config"[^{}]*\}/.exec(screen);
  if (json === null) throw new Error(`no JSON summary on the terminal:\n${screen}`);
  return JSON.parse(json[0]) as Record<string, unknown>;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** A failed command prints one line on stderr, starting with "deed:", and no stack trace. */
function expectOneLineError(run: DeedRun, code: number, pattern: RegExp): void {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
  expect(run.stderr).not.toMatch(STACK_TRACE);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^deed: init: /);
  expect(lines[0]).toMatch(pattern);
}

describe('deed init', () => {
  let server: DeedServer;
  const data = tempDir();
  const scratch = tempDir('deed-init-');
  /** A fresh XDG_CONFIG_HOME (and HOME) for one test. */
  const home = (name: string) => {
    const path = join(scratch.path, name);
    mkdirSync(path);
    return { HOME: path, XDG_CONFIG_HOME: join(path, 'xdg') };
  };

  beforeAll(async () => {
    expect(spawnSync('script', ['--version']).status, 'util-linux "script" makes the pseudo-terminal for these tests').toBe(0);
    server = await startDeed({ dataDir: data.path });
    const add = runDeed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'],
      { url: server.url, input: `${MAKER.password}\n` });
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    scratch.remove();
  });

  it('asks at a terminal, never echoes the password, saves a 0600 file that later commands use alone', async () => {
    const env = home('interactive');
    const file = join(env.XDG_CONFIG_HOME, 'deed', 'config.yaml');
    const run = await runOnTerminal(['init'], env, [
      ['Server URL [http://127.0.0.1:8580]: ', `${server.url}\r`],
      ['Provisioner username: ', `${MAKER.username}\r`],
      ['Provisioner password: ', `${MAKER.password}\r`],
      [`Configuration file [${file}]: `, '\r'],
      [`Save configuration to ${file}? [Y/n] `, '\r'],
    ]);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).not.toContain(MAKER.password);
    expect(run.screen).toContain(`Provisioner username: ${MAKER.username}`); // what is typed is echoed, except the password
    expect(run.screen).toContain(`Signed in as ${MAKER.username} (provisioner)`);
    expect(summaryOn(run.screen)).toEqual({ url: server.url, username: MAKER.username, role: 'provisioner', config: file });

    expect(mode(file)).toBe(0o600);
    expect(mode(join(env.XDG_CONFIG_HOME, 'deed'))).toBe(0o700);
    expect(parseYaml(readFileSync(file, 'utf8'))).toEqual({ url: server.url, ...MAKER });

    // Only the saved file says where and as whom: no DEED_URL, DEED_USERNAME or DEED_PASSWORD.
    const keys = runDeed(['api-keys', 'list'], { env });
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.json()).toEqual([]);
    const audit = runDeed(['audit'], { env });
    expect(audit.code, 'a provisioner may not read the audit log').toBe(4);

    // Again: the saved URL and username are now the defaults, and the file is replaced, still 0600.
    chmodSync(file, 0o644);
    const again = await runOnTerminal(['init'], env, [
      [`Server URL [${server.url}]: `, '\r'],
      [`Provisioner username [${MAKER.username}]: `, 'admin\r'],
      ['Provisioner password: ', `${ADMIN_PASSWORD}\r`],
      [`Configuration file [${file}]: `, '\r'],
      [`Save configuration to ${file} (replacing the file there)? [Y/n] `, 'y\r'],
    ]);
    expect(again.code, again.screen).toBe(0);
    expect(again.screen).not.toContain(ADMIN_PASSWORD);
    expect(summaryOn(again.screen)).toMatchObject({ username: 'admin', role: 'admin' });
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(join(env.XDG_CONFIG_HOME, 'deed'))).toEqual(['config.yaml']);
    const accounts = runDeed(['accounts', 'list'], { env });
    expect(accounts.code, accounts.stderr).toBe(0);
    expect(accounts.json<{ username: string }[]>().map((a) => a.username)).toContain(MAKER.username);
  });

  it('writes nothing when the user answers no at the terminal', async () => {
    const env = home('declined');
    const run = await runOnTerminal(['init', '--url', server.url, '--username', MAKER.username], env, [
      ['Provisioner password: ', `${MAKER.password}\r`],
      ['Configuration file ', '\r'],
      ['Save configuration to ', 'n\r'],
    ]);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toContain('Nothing was saved.');
    expect(existsSync(env.XDG_CONFIG_HOME)).toBe(false);
  });

  it('runs without a prompt from flags and the password on standard input, replacing a file 0600', () => {
    const env = home('flags');
    const file = join(scratch.path, 'flags', 'elsewhere', 'deed.yaml');
    mkdirSync(join(scratch.path, 'flags', 'elsewhere'));
    writeFileSync(file, 'url: http://old.example:1\napiKey: dk_old\n', { mode: 0o644 });
    const run = runDeed(['init', '--url', `${server.url}/`, '--username', MAKER.username, '--password-stdin', '--config', file, '--yes'],
      { env, input: `${MAKER.password}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toEqual({ url: server.url, username: MAKER.username, role: 'provisioner', config: file });
    expect(run.stdout + run.stderr).not.toContain(MAKER.password);
    expect(run.stderr).toContain(`Replaced ${file}`);
    expect(mode(file)).toBe(0o600);
    expect(parseYaml(readFileSync(file, 'utf8'))).toEqual({ url: server.url, ...MAKER });
    expect(readdirSync(join(scratch.path, 'flags', 'elsewhere'))).toEqual(['deed.yaml']);

    const keys = runDeed(['api-keys', 'list'], { env: { ...env, DEED_CONFIG_FILE: file } });
    expect(keys.code, keys.stderr).toBe(0);
  });

  it('refuses wrong credentials with exit 4 and writes nothing', () => {
    const env = home('wrong');
    const run = runDeed(['init', '--url', server.url, '--username', MAKER.username, '--password-stdin', '--yes'],
      { env, input: 'not the password\n' });
    expectOneLineError(run, 4, /refused the credentials of "acme-maker".*nothing was saved$/);
    expect(run.stdout).toBe('');
    expect(existsSync(env.XDG_CONFIG_HOME)).toBe(false);
  });

  it('says the server is unreachable with exit 3 and writes nothing', async () => {
    const env = home('unreachable');
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = runDeed(['init', '--url', url, '--username', MAKER.username, '--password-stdin', '--yes'],
      { env, input: `${MAKER.password}\n` });
    expectOneLineError(run, 3, /cannot reach the Deed server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*nothing was saved$/);
    expect(existsSync(env.XDG_CONFIG_HOME)).toBe(false);
  });

  it('names the missing options when standard input is not a terminal (exit 2), and has --help', () => {
    const env = home('missing');
    expectOneLineError(runDeed(['init', '--url', server.url, '--username', MAKER.username, '--yes'], { env }), 2,
      /^deed: init: give --password-stdin \(standard input is not a terminal to ask on\)$/);
    expectOneLineError(runDeed(['init'], { env }), 2, /give --url, --username, --password-stdin, --yes /);
    expectOneLineError(runDeed(['init', '--url', 'deed.example.com', '--username', 'u', '--password-stdin', '--yes'], { env, input: 'x' }), 2,
      /--url: "deed\.example\.com" is not an http/);
    expect(existsSync(env.XDG_CONFIG_HOME)).toBe(false);

    const help = runDeed(['init', '--help'], { env });
    expect(help.code).toBe(0);
    for (const text of ['--url', '--username', '--password-stdin', '--config', '--yes', 'config.yaml', '0600']) expect(help.stdout).toContain(text);
    expect(runDeed(['--help'], { env }).stdout).toMatch(/init/);
  });
});
