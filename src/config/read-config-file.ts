import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { CONFIG_FILE_KEYS } from './settings.js';
import { isRecord } from '../shared/validate.js';

/** What the YAML file sets: dotted path → raw value (nulls left out), plus unknown-key issues. */
export interface ConfigFileValues {
  readonly path: string;
  readonly values: ReadonlyMap<string, unknown>;
  readonly issues: readonly ConfigIssue[];
}

const SECTIONS = new Set(CONFIG_FILE_KEYS.filter((key) => key.includes('.')).map((key) => key.split('.')[0] ?? ''));
const KEYS = new Set(CONFIG_FILE_KEYS);

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string): string {
  const simplify = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of [...KEYS, ...SECTIONS]) {
    const d = distance(simplify(key), simplify(known));
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function unknownKey(file: string, key: string): ConfigIssue {
  return { setting: file, message: `unknown setting "${key}"${suggestion(key)}` };
}

/**
 * Reads the YAML config file. Throws ConfigError naming the path when it is missing, unreadable,
 * not YAML or not a mapping. Parse errors give line and column only, never the line's text
 * (it may hold a secret).
 */
export function readConfigFile(path: string): ConfigFileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'config file not found' : code === 'EISDIR' ? 'config file is a directory' : `config file cannot be read (${code ?? 'error'})`;
    throw new ConfigError([{ setting: path, message: problem }]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const [first] = document.errors;
  if (first !== undefined) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new ConfigError([{ setting: path, message: `not valid YAML at line ${line}, column ${col}: ${first.message}` }]);
  }
  let content: unknown;
  try {
    content = document.toJS({ maxAliasCount: 100 });
  } catch {
    throw new ConfigError([{ setting: path, message: 'not valid YAML (too many aliases)' }]);
  }
  content ??= {};
  if (!isRecord(content)) throw new ConfigError([{ setting: path, message: 'expected a YAML mapping of settings at the top level' }]);

  const values = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(content)) {
    if (SECTIONS.has(key)) {
      if (value === null || value === undefined) continue;
      if (!isRecord(value)) {
        issues.push({ setting: `${key} in ${path}`, message: 'expected a mapping of settings' });
        continue;
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        const dotted = `${key}.${inner}`;
        if (!KEYS.has(dotted)) issues.push(unknownKey(path, dotted));
        else if (innerValue !== null && innerValue !== undefined) values.set(dotted, innerValue);
      }
    } else if (KEYS.has(key)) {
      if (value !== null && value !== undefined) values.set(key, value);
    } else {
      issues.push(unknownKey(path, key));
    }
  }
  return { path, values, issues };
}
