import { CliError, EXIT } from './cli-error.js';

export type OutputFormat = 'json' | 'table';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'json') return 'json';
  if (value === 'table') return 'table';
  throw new CliError(`-o/--output: expected json or table, got "${value}"`, EXIT.usage);
}

/** Prints a result: JSON (for scripts, the default) or an aligned table of its rows. */
export function print(value: unknown, format: OutputFormat, columns?: readonly string[]): void {
  if (format === 'json' || value === null || typeof value !== 'object') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const rows = (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(cols.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}
