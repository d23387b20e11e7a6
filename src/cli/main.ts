#!/usr/bin/env node
import { CommanderError } from 'commander';
import { DeedError } from '../shared/deed-error.js';
import { CliError, EXIT } from './cli-error.js';
import { buildProgram } from './program.js';

/** The `deed` executable: runs the program and turns failures into one line and an exit code. */
async function run(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`deed: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof DeedError) {
      process.stderr.write(`deed: ${err.message}\n`);
      process.exitCode = err.code === 'invalid_config' ? EXIT.usage : EXIT.failed;
      return;
    }
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`deed: ${e.message}${e.code !== undefined ? ` (${e.code})` : ''}\n`);
    process.exitCode = EXIT.failed;
  }
}

await run();
