/** Exit codes of the `deed` command, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The server refused the operation (validation, not found, conflict, …). */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** The server could not be reached. */
  unreachable: 3,
  /** Credentials missing, wrong, or not allowed. */
  auth: 4,
} as const;

/** A user-facing failure: one line on stderr, no stack trace, and an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'CliError';
  }
}
