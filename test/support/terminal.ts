import { spawn } from 'node:child_process';
import { DEED_BIN } from './deed-process.js';

/** A step of a terminal session: wait until the screen shows `expect`, then type `type`. */
export type Step = readonly [expect: string, type: string];

export interface TerminalRun {
  readonly code: number;
  /** Everything the terminal showed (stdout and stderr of `deed`, and what readline echoed). */
  readonly screen: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `deed <args>` on a pseudo-terminal (`script -qfec … /dev/null`), typing each step's keys
 * once the screen shows its text. Only what readline echoes reaches the screen: the terminal is
 * in raw mode while a question is asked.
 */
export function runOnTerminal(args: readonly string[], env: Record<string, string>, steps: readonly Step[]): Promise<TerminalRun> {
  const command = [process.execPath, DEED_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env['PATH'] ?? '', SHELL: '/bin/sh', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let stderr = '';
  let onScreen = () => undefined as void;
  child.stdout.on('data', (d: Buffer) => { screen += d.toString(); onScreen(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const shows = (text: string, from: number) => new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the terminal never showed ${JSON.stringify(text)}:\n${screen}\n${stderr}`)), 20_000);
    onScreen = () => {
      const at = screen.indexOf(text, from);
      if (at >= 0) {
        clearTimeout(timer);
        onScreen = () => undefined;
        resolve(at + text.length);
      }
    };
    onScreen();
    void closed.then(() => setTimeout(() => reject(new Error(`deed exited before showing ${JSON.stringify(text)}:\n${screen}\n${stderr}`)), 200));
  });
  return (async () => {
    let from = 0;
    try {
      for (const [text, keys] of steps) {
        from = await shows(text, from);
        child.stdin.write(keys);
      }
      const code = await closed;
      return { code, screen };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  })();
}

