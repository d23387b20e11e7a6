import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { resolveConnection } from './connection.js';
import { globalOptionValues, type GlobalOptions } from './global-options.js';
import { buildProgram } from './program.js';

/** Parses `args` with the real program; returns the global options and own options the leaf saw. */
async function parse(args: string[], path: string[]): Promise<{ globals: GlobalOptions; own: Record<string, unknown> }> {
  const program = buildProgram();
  let leaf: Command = program;
  for (const name of path) leaf = leaf.commands.find((c) => c.name() === name) ?? leaf;
  let seen: { globals: GlobalOptions; own: Record<string, unknown> } | undefined;
  leaf.action((...actionArgs: unknown[]) => {
    const command = actionArgs.at(-1) as Command;
    seen = { globals: globalOptionValues(command), own: command.opts() };
  });
  await program.parseAsync(['node', 'deed', ...args]);
  if (seen === undefined) throw new Error('the action did not run');
  return seen;
}

describe('global options', () => {
  it('tells the connection username (before the command) from accounts add --username (the new account)', async () => {
    const { globals, own } = await parse(
      ['--username', 'admin', 'accounts', 'add', '--username', 'bob', '--role', 'owner', '--password-stdin'], ['accounts', 'add'],
    );
    expect(globals.username).toBe('admin');
    expect(own).toMatchObject({ username: 'bob', role: 'owner', passwordStdin: true });
    const alone = await parse(['accounts', 'add', '--username', 'bob', '--role', 'owner'], ['accounts', 'add']);
    expect(alone.globals.username).toBeUndefined();
    expect(alone.own['username']).toBe('bob');
  });

  it('takes global options after the command too, those beating the ones before', async () => {
    const { globals } = await parse(['-o', 'table', '--url', 'http://a:1', 'device', 'list', '--url', 'http://b:2', '--api-key', 'dk_x'], ['device', 'list']);
    expect(globals).toMatchObject({ url: 'http://b:2', output: 'table', apiKey: 'dk_x' });
    expect((await parse(['device', 'list'], ['device', 'list'])).globals).toEqual({ output: 'json' });
    expect((await parse(['api-keys', 'create', '--name', 'n', '--scope', 'devices:read', 'devices:write', '-o', 'table'], ['api-keys', 'create'])))
      .toMatchObject({ globals: { output: 'table' }, own: { name: 'n', scope: ['devices:read', 'devices:write'] } });
  });
});

describe('resolveConnection', () => {
  const config = join(tmpdir(), 'deed-no-such-config.yaml');

  it('uses an API key instead of username and password from the same place or a weaker one', () => {
    expect(resolveConnection({ config, apiKey: 'dk_a' }, { DEED_USERNAME: 'u', DEED_PASSWORD: 'p' }))
      .toEqual({ url: 'http://127.0.0.1:8580', username: undefined, password: undefined, apiKey: 'dk_a' });
    expect(resolveConnection({ config }, { DEED_USERNAME: 'u', DEED_PASSWORD: 'p', DEED_API_KEY: 'dk_b' }).apiKey).toBe('dk_b');
  });

  it('uses username and password when they come from a stronger place than the key', () => {
    expect(resolveConnection({ config, username: 'u', password: 'p' }, { DEED_API_KEY: 'dk_b' }))
      .toMatchObject({ username: 'u', password: 'p', apiKey: undefined });
    expect(resolveConnection({ config }, { DEED_USERNAME: 'u', DEED_PASSWORD: 'p', DEED_API_KEY: '' }))
      .toMatchObject({ username: 'u', password: 'p', apiKey: undefined });
  });
});
