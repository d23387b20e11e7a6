import type BetterSqlite3 from 'better-sqlite3';
import { type SqliteHandle, withSqliteConnection } from './database-handle.js';
import { createSqliteGroupCommit, type SqliteGroupCommitOptions } from './sqlite-group-commit.js';
import type { IpDeviceRow } from './schema.js';

/** One window write as `putWindow` stores it (columns already in their database form). */
export interface WindowParams {
  readonly deviceId: string;
  readonly secret: string;
  readonly expiresAt: string;
  readonly openedAt: string;
  /** `claiming_allowed` assumed for a device without its own flag: 1 or 0. */
  readonly allowByDefault: 0 | 1;
}

/** The claim-window hot path on SQLite: the device by token hash, and the window upsert. */
export interface SqliteWindowPath {
  getByTokenHash(hash: string): Promise<IpDeviceRow | undefined>;
  /** The conditional upsert of `PUT_WINDOW_SQL`, group-committed; false when it wrote nothing. */
  putWindow(params: WindowParams): Promise<boolean>;
}

/**
 * Opens or replaces a device's window only while the device is unowned and claiming is allowed
 * for it: the check and the write are one statement (the SELECT yields no row otherwise). Named
 * parameters as in {@link WindowParams}.
 */
export const PUT_WINDOW_SQL = `insert into claim_windows (device_id, secret, expires_at, failures, opened_at)
  select id, @secret, @expiresAt, 0, @openedAt from ip_devices
   where id = @deviceId and application_id is null and coalesce(claiming_allowed, @allowByDefault) = 1
  on conflict (device_id) do update
     set secret = excluded.secret, expires_at = excluded.expires_at, failures = 0, opened_at = excluded.opened_at`;

interface Statements {
  readonly selectByTokenHash: BetterSqlite3.Statement<[string], IpDeviceRow>;
  readonly putWindow: BetterSqlite3.Statement<[WindowParams]>;
}

/**
 * Prepared better-sqlite3 statements for the two statements of a device-opened window (Kysely's
 * SQLite driver prepares every statement anew and builds the query each time), run synchronously
 * under Kysely's connection lock. The lookup runs at once, so every announcement reads the device
 * as it is now; the upserts of one event-loop turn share one transaction (`sqlite-group-commit.ts`),
 * each still checking the device in its own statement.
 */
export function createSqliteWindowPath(handle: SqliteHandle, options: SqliteGroupCommitOptions = {}): SqliteWindowPath {
  let statements: Statements | undefined;
  const prepared = (): Statements => (statements ??= {
    selectByTokenHash: handle.sqlite.prepare<[string], IpDeviceRow>('select * from ip_devices where access_token_hash = ?'),
    putWindow: handle.sqlite.prepare<[WindowParams]>(PUT_WINDOW_SQL),
  });
  const putWindow = createSqliteGroupCommit(handle, (_sqlite, params: WindowParams) => prepared().putWindow.run(params).changes > 0, options);
  return {
    getByTokenHash: (hash) => withSqliteConnection(handle, () => prepared().selectByTokenHash.get(hash)),
    putWindow,
  };
}
