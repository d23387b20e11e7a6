import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from './cli-error.js';
import { terminalPrompter } from './prompt.js';

/** A prompter on fake streams; `type` feeds keystrokes once the question so far has been shown. */
function fakeTerminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => { shown += d.toString(); });
  const prompter = terminalPrompter({ input, output });
  return {
    prompter,
    shown: () => shown,
    type: (keys: string) => setImmediate(() => input.write(keys)),
    end: () => setImmediate(() => input.end()),
  };
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

describe('terminalPrompter', () => {
  it('shows the default in brackets and takes it for an empty answer, else the trimmed answer', async () => {
    const t = fakeTerminal();
    t.type('\r');
    expect(await t.prompter.text('Server URL', 'http://127.0.0.1:8580')).toBe('http://127.0.0.1:8580');
    t.type('  alice \r');
    expect(await t.prompter.text('Provisioner username')).toBe('alice');
    t.prompter.close();
    expect(t.shown()).toContain('Server URL [http://127.0.0.1:8580]: ');
    expect(t.shown()).toContain('Provisioner username: ');
    expect(t.shown()).toContain('alice');
  });

  it('asks again when an answer is needed and none was given', async () => {
    const t = fakeTerminal();
    t.type('\r');
    const answer = t.prompter.text('Provisioner username');
    await new Promise((r) => setTimeout(r, 20));
    t.type('bob\r');
    expect(await answer).toBe('bob');
    t.prompter.close();
    expect(t.shown()).toContain('an answer is needed');
  });

  it('never echoes a secret, keeps its spaces, and echoes again afterwards', async () => {
    const t = fakeTerminal();
    t.type(' s3cret pass \r');
    expect(await t.prompter.secret('Provisioner password')).toBe(' s3cret pass ');
    t.type('after\r');
    expect(await t.prompter.text('Next')).toBe('after');
    t.prompter.close();
    expect(t.shown()).toContain('Provisioner password: ');
    expect(t.shown()).not.toContain('s3cret');
    expect(t.shown()).toContain('after');
  });

  it('confirms with y/yes/n/no, the default on an empty answer, and asks again otherwise', async () => {
    const t = fakeTerminal();
    t.type('\r');
    expect(await t.prompter.confirm('Save configuration?', true)).toBe(true);
    t.type('\r');
    expect(await t.prompter.confirm('Save configuration?', false)).toBe(false);
    t.type('NO\r');
    expect(await t.prompter.confirm('Save configuration?', true)).toBe(false);
    t.type('maybe\ry\r');
    expect(await t.prompter.confirm('Save configuration?', false)).toBe(true);
    t.prompter.close();
    expect(t.shown()).toContain('Save configuration? [Y/n] ');
    expect(t.shown()).toContain('Save configuration? [y/N] ');
    expect(t.shown()).toContain('answer y or n');
  });

  it('cancels with a usage error on Ctrl-C and on the end of input', async () => {
    const t = fakeTerminal();
    t.type('\x03');
    const err = await failure(t.prompter.secret('Provisioner password'));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toBe('cancelled');
    await expect(t.prompter.text('Again')).rejects.toThrow('cancelled');
    t.prompter.close();

    const u = fakeTerminal();
    u.end();
    expect((await failure(u.prompter.text('Server URL', 'x'))).message).toMatch(/standard input closed/);
  });
});
