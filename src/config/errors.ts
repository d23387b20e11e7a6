import { DeedError } from '../shared/deed-error.js';

/** One problem with one setting. `setting` names it as the operator wrote it (env var or file key). */
export interface ConfigIssue {
  readonly setting: string;
  readonly message: string;
}

/**
 * Bad configuration, found at boot. The message lists every problem, one per line, each starting
 * with the setting's name (`DEED_HTTP_PORT: expected an integer from 1 to 65535, got "abc"`).
 * Secret values (master keys, passwords, database URLs) are never repeated.
 */
export class ConfigError extends DeedError {
  declare readonly code: 'invalid_config';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `${issue.setting}: ${issue.message}`);
    super('invalid_config', lines.length === 1 ? (lines[0] ?? '') : `invalid configuration:\n  ${lines.join('\n  ')}`, {
      issues: issues.map((issue) => ({ ...issue })),
    });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
