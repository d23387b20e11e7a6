import BetterSqlite3 from 'better-sqlite3';

/**
 * Opens another connection to the SQLite file at `path` (as another process would have) and
 * takes its write lock (`BEGIN IMMEDIATE`) until `release()`. For tests of code that must not
 * block while another process writes.
 */
export function lockSqliteFromElsewhere(path: string): { release(): void } {
  const other = new BetterSqlite3(path);
  other.pragma('busy_timeout = 0');
  other.prepare('begin immediate').run();
  return {
    release() {
      other.prepare('commit').run();
      other.close();
    },
  };
}
