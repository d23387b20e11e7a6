import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, EXIT } from './cli-error.js';

/** Questions asked on a terminal, one at a time; answers are trimmed except secrets. */
export interface Prompter {
  /** A line of text; an empty answer takes `defaultValue` (shown in brackets) or asks again. */
  text(question: string, defaultValue?: string): Promise<string>;
  /** A secret, not echoed; an empty answer asks again. */
  secret(question: string): Promise<string>;
  /** Yes or no; an empty answer takes `defaultYes`. */
  confirm(question: string, defaultYes: boolean): Promise<boolean>;
  /** Gives the terminal back (leaves raw mode). */
  close(): void;
}

/** A terminal for {@link terminalPrompter}: a readable TTY and where the questions go. */
export interface PromptStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream & { columns?: number };
}

/**
 * Asks on a terminal (stdin by default) and writes the questions to stderr, so that stdout
 * stays for the command's result. One readline interface serves every question: it puts the
 * terminal in raw mode before the first question is shown, so the terminal itself never echoes
 * a secret, and answers typed ahead are not lost between questions. Secrets are read with
 * readline's echo muted. Ctrl-C or the end of input cancels with a usage error.
 */
export function terminalPrompter(streams: PromptStreams = { input: process.stdin, output: process.stderr }): Prompter {
  const { input, output } = streams;
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  // readline lays out long lines by the terminal width; a pseudo-terminal may report 0.
  Object.defineProperty(echo, 'columns', { get: () => (output.columns !== undefined && output.columns > 0 ? output.columns : undefined) });
  const rl: Interface = createInterface({ input, output: echo, terminal: true, historySize: 0 });
  // Between questions the input is paused and the terminal back in its usual mode (so that Ctrl-C
  // interrupts a slow server check); keys typed early wait for the next question, and lines that
  // arrive together (a paste) queue up. While asking, the terminal is raw: only readline echoes.
  const raw = (on: boolean) => {
    const tty = input as NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
    if (tty.isTTY === true && typeof tty.setRawMode === 'function') tty.setRawMode(on);
  };
  const idle = () => {
    rl.pause();
    raw(false);
  };
  idle();
  const lines: string[] = [];
  let failure: CliError | undefined;
  let waiting: { resolve(line: string): void; reject(err: CliError): void } | undefined;
  rl.on('line', (line) => {
    const w = waiting;
    if (w === undefined) {
      lines.push(line);
      return;
    }
    waiting = undefined;
    idle();
    w.resolve(line);
  });
  const fail = (err: CliError) => {
    failure ??= err;
    const w = waiting;
    waiting = undefined;
    w?.reject(failure);
  };
  rl.on('SIGINT', () => {
    lines.length = 0;
    output.write('\n');
    idle();
    fail(new CliError('cancelled', EXIT.usage));
  });
  rl.on('close', () => fail(new CliError('cancelled: standard input closed', EXIT.usage)));

  const ask = (query: string): Promise<string> => new Promise<string>((resolve, reject) => {
    const queued = lines.shift();
    if (queued !== undefined) {
      output.write(`${query}${muted ? '' : `${queued}\n`}`);
      resolve(queued);
    } else if (failure !== undefined) {
      reject(failure);
    } else {
      waiting = { resolve, reject };
      raw(true);
      rl.setPrompt(query);
      rl.prompt();
    }
  });

  return {
    async text(question, defaultValue) {
      const shown = defaultValue !== undefined && defaultValue !== '' ? `${question} [${defaultValue}]: ` : `${question}: `;
      for (;;) {
        const answer = (await ask(shown)).trim();
        if (answer !== '') return answer;
        if (defaultValue !== undefined && defaultValue !== '') return defaultValue;
        output.write(`  (an answer is needed; Ctrl-C cancels)\n`);
      }
    },
    async secret(question) {
      for (;;) {
        // Raw before the question is shown: a password typed (or pasted) the moment the question
        // appears must never meet the terminal's own echo.
        raw(true);
        output.write(`${question}: `);
        muted = true;
        let answer: string;
        try {
          answer = await ask('');
        } finally {
          muted = false;
        }
        output.write('\n');
        if (answer !== '') return answer;
        output.write(`  (an answer is needed; Ctrl-C cancels)\n`);
      }
    },
    async confirm(question, defaultYes) {
      for (;;) {
        const answer = (await ask(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `)).trim().toLowerCase();
        if (answer === '') return defaultYes;
        if (answer === 'y' || answer === 'yes') return true;
        if (answer === 'n' || answer === 'no') return false;
        output.write('  (answer y or n)\n');
      }
    },
    close() {
      failure ??= new CliError('the prompter is closed', EXIT.usage);
      waiting = undefined;
      rl.close();
    },
  };
}
