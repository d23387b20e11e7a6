import { inspect } from 'node:util';
import { redactDatabaseUrl } from '../storage/database-url.js';
import type { Config } from './config.js';

const REDACTED = '[redacted]';

/**
 * A copy of the config that is safe to log or print: master keys and the admin password become
 * `[redacted]` (when set), the database URL loses its password and query string.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = {
    ...config,
    http: { ...config.http },
    database: { ...config.database, url: redactDatabaseUrl(config.database.url) },
    log: { ...config.log },
    joinServer: { ...config.joinServer },
  };
  if (config.https !== undefined) copy['https'] = { ...config.https };
  if (config.redis !== undefined) copy['redis'] = { url: redactUrlPassword(config.redis.url) };
  for (const key of ['masterKey', 'previousMasterKeys', 'adminPassword'] as const) {
    if (config[key] !== undefined) copy[key] = REDACTED;
  }
  return copy;
}

/** A URL with its password (if any) replaced by `***`. */
function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}

/**
 * Makes `JSON.stringify(config)` and `util.inspect(config)` (console.log, pino) print the
 * redacted form. The added members are not enumerable, so spreading the config is unaffected.
 */
export function attachRedaction(config: Config): void {
  Object.defineProperty(config, 'toJSON', { value: () => redactConfig(config), enumerable: false });
  Object.defineProperty(config, inspect.custom, {
    value: (depth: number, options: object) => inspect(redactConfig(config), { ...options, depth }),
    enumerable: false,
  });
}
