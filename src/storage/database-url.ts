/** Where a database URL points: a PostgreSQL server, or a SQLite file (or `:memory:`). */
export type DatabaseLocation =
  | { readonly dialect: 'postgres'; readonly url: string }
  | { readonly dialect: 'sqlite'; readonly path: string };

/**
 * Reads a database URL. `postgres://` and `postgresql://` select PostgreSQL; anything else is a
 * SQLite file path, optionally prefixed `sqlite:` (`sqlite:data/deed.db`, `sqlite:///var/lib/deed.db`,
 * `sqlite::memory:`), or `:memory:`.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    return { dialect: 'postgres', url: trimmed };
  }
  let path = trimmed;
  if (/^sqlite:/i.test(path)) {
    path = path.slice('sqlite:'.length);
    if (path.startsWith('//')) {
      path = path.slice(2);
    }
  }
  if (path === '') {
    throw new Error('Database URL is empty: give a PostgreSQL URL or a SQLite file path');
  }
  return { dialect: 'sqlite', path };
}

/**
 * A URL safe to print: the password becomes `***` and the query string (which may carry
 * `password=` or TLS key paths) is dropped. SQLite paths are returned unchanged.
 */
export function redactDatabaseUrl(url: string): string {
  const location = parseDatabaseUrl(url);
  if (location.dialect === 'sqlite') {
    return location.path;
  }
  try {
    const parsed = new URL(location.url);
    if (parsed.password !== '') {
      parsed.password = '***';
    }
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return 'postgres://<unparseable URL>';
  }
}
