import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../cli-error.js';
import type { Prompter } from '../prompt.js';
import type { SavedCredentials } from '../save-config.js';
import { buildProgram } from '../program.js';
import { checkedUrl, resolveConfigPath, runInit, type InitDeps, type InitGiven, type Me } from './init.js';

/** A prompter answering from a script of [question prefix, answer]; records every question. */
function scripted(answers: [string, string | boolean][]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (question: string) => {
    asked.push(question);
    const entry = answers.shift();
    if (entry === undefined || !question.startsWith(entry[0])) throw new Error(`unexpected question "${question}"`);
    return entry[1];
  };
  return {
    asked,
    text: async (question, defaultValue) => {
      const answer = next(question) as string;
      return answer === '' && defaultValue !== undefined ? defaultValue : answer;
    },
    secret: async (question) => next(question) as string,
    confirm: async (question) => next(question) as boolean,
    close: () => undefined,
  };
}

/** Deps with a server that knows one account, and a record of what was saved and said. */
function fakeDeps(prompter: Prompter | undefined, server: 'up' | 'down' = 'up') {
  const saved: [string, SavedCredentials][] = [];
  const notes: string[] = [];
  const verified: SavedCredentials[] = [];
  const deps: InitDeps = {
    prompter,
    defaults: { url: 'http://127.0.0.1:8580', username: undefined, config: '/home/u/.config/deed/config.yaml' },
    resolvePath: (path) => resolveConfigPath(path, '/home/u', '/work'),
    verify: async (c): Promise<Me> => {
      verified.push(c);
      if (server === 'down') throw new CliError(`cannot reach the Deed server at ${c.url} (ECONNREFUSED)`, EXIT.unreachable);
      if (c.username !== 'acme' || c.password !== 'maker password 1') throw new CliError('wrong username or password', EXIT.auth);
      return { username: 'acme', role: 'provisioner' };
    },
    exists: (path) => path === '/home/u/old.yaml',
    save: (path, c) => { saved.push([path, c]); },
    note: (line) => { notes.push(line); },
  };
  return { deps, saved, notes, verified };
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

const ALL: InitGiven = { url: 'http://deed.test:8580/', username: 'acme', password: 'maker password 1', config: '/etc/x/deed.yaml', yes: true };

describe('deed init', () => {
  it('asks, in order, for the server URL, username, password, file and confirmation, then saves', async () => {
    const prompter = scripted([
      ['Server URL', ''], ['Provisioner username', 'acme'], ['Provisioner password', 'maker password 1'],
      ['Configuration file', ''], ['Save configuration to /home/u/.config/deed/config.yaml?', true],
    ]);
    const { deps, saved, notes } = fakeDeps(prompter);
    const result = await runInit({ yes: false }, deps);
    expect(result).toEqual({ url: 'http://127.0.0.1:8580', username: 'acme', role: 'provisioner', config: '/home/u/.config/deed/config.yaml' });
    expect(saved).toEqual([['/home/u/.config/deed/config.yaml', { url: 'http://127.0.0.1:8580', username: 'acme', password: 'maker password 1' }]]);
    expect(notes.join('\n')).toContain('Signed in as acme (provisioner)');
    expect(notes.join('\n')).not.toContain('maker password 1');
  });

  it('asks only for what was not given, and again for a URL that is not one', async () => {
    const prompter = scripted([['Server URL', 'ftp://x'], ['Server URL', 'https://deed.test/'], ['Provisioner password', 'maker password 1']]);
    const { deps, saved, notes } = fakeDeps(prompter);
    const result = await runInit({ username: 'acme', config: '~/old.yaml', yes: true }, deps);
    expect(result?.url).toBe('https://deed.test');
    expect(saved[0]?.[0]).toBe('/home/u/old.yaml');
    expect(notes.join('\n')).toMatch(/Replaced \/home\/u\/old.yaml/);
    expect(notes.join('\n')).toContain('DEED_CONFIG_FILE=/home/u/old.yaml');
  });

  it('saves nothing when the user declines', async () => {
    const prompter = scripted([['Configuration file', 'old.yaml'], ['Save configuration to /work/old.yaml?', false]]);
    const { deps, saved } = fakeDeps(prompter);
    expect(await runInit({ url: 'http://a:1', username: 'acme', password: 'maker password 1', yes: false }, deps)).toBeUndefined();
    expect(saved).toEqual([]);
  });

  it('runs without a terminal when everything is given', async () => {
    const { deps, saved, verified } = fakeDeps(undefined);
    expect(await runInit(ALL, deps)).toEqual({ url: 'http://deed.test:8580', username: 'acme', role: 'provisioner', config: '/etc/x/deed.yaml' });
    expect(verified).toHaveLength(1);
    expect(saved).toHaveLength(1);
    const { config: _config, ...withoutConfig } = ALL;
    const defaulted = fakeDeps(undefined);
    expect((await runInit(withoutConfig, defaulted.deps))?.config).toBe('/home/u/.config/deed/config.yaml');
  });

  it('names every missing option when there is no terminal to ask on (exit 2), before contacting the server', async () => {
    const { deps, verified } = fakeDeps(undefined);
    const err = await failure(runInit({ username: 'acme', yes: false }, deps));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toBe('init: give --url, --password-stdin, --yes (standard input is not a terminal to ask on)');
    expect(verified).toEqual([]);
  });

  it('saves nothing when the credentials are wrong (exit 4) or the server is unreachable (exit 3)', async () => {
    const wrong = fakeDeps(undefined);
    const refused = await failure(runInit({ ...ALL, password: 'nope' }, wrong.deps));
    expect(refused.exitCode).toBe(EXIT.auth);
    expect(refused.message).toBe('init: http://deed.test:8580 refused the credentials of "acme" (wrong username or password); nothing was saved');
    expect(wrong.saved).toEqual([]);

    const down = fakeDeps(undefined, 'down');
    const unreachable = await failure(runInit(ALL, down.deps));
    expect(unreachable.exitCode).toBe(EXIT.unreachable);
    expect(unreachable.message).toMatch(/^init: cannot reach .*; nothing was saved$/);
    expect(down.saved).toEqual([]);
  });

  it('refuses a given URL that is not http(s) with a usage error', async () => {
    const err = await failure(runInit({ ...ALL, url: 'deed.test' }, fakeDeps(undefined).deps));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(() => checkedUrl('mailto:x@y')).toThrow(/not an http/);
    expect(checkedUrl(' https://d.test:1/base/ ')).toBe('https://d.test:1/base');
  });

  it('resolves ~ and relative configuration paths', () => {
    expect(resolveConfigPath('~/a/b.yaml', '/home/u', '/w')).toBe('/home/u/a/b.yaml');
    expect(resolveConfigPath('b.yaml', '/home/u', '/w')).toBe('/w/b.yaml');
    expect(resolveConfigPath('/abs.yaml', '/home/u', '/w')).toBe('/abs.yaml');
  });

  it('is registered with its options, and described in --help', () => {
    const init = buildProgram().commands.find((c) => c.name() === 'init');
    expect(init).toBeDefined();
    const help = init?.helpInformation() ?? '';
    for (const option of ['--url', '--username', '--password-stdin', '--password-file', '--config', '--yes']) expect(help).toContain(option);
  });
});
