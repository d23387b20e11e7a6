/**
 * The console's only way to the server: the documented REST API (`/openapi.json`), with the
 * session cookie the browser keeps and the CSRF token sign-in returned.
 */

/** A problem answer (RFC 9457) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field: string | null = null,
    /** From `Retry-After`, when the server said how long to wait. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export type Role = 'admin' | 'provisioner' | 'owner';

/** `POST`/`GET /api/v1/session`. */
export interface Session {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string;
}

let csrfToken = '';
let onUnauthorized: () => void = () => undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** What to do when a request answers 401 (the session ended): show the sign-in. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestOptions {
  readonly body?: unknown;
  /** A raw body (a file), sent as is. */
  readonly raw?: BodyInit;
  readonly accept?: string;
  readonly contentType?: string;
  /** Return the Response even when it is not 2xx (the caller reads it). */
  readonly anyStatus?: boolean;
  /** Do not treat 401 as "session ended" (sign-in itself). */
  readonly quiet401?: boolean;
  readonly signal?: AbortSignal;
}

/** Sends one request; throws ApiError for a non-2xx answer unless `anyStatus`. */
export async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'X-Requested-With': 'deed-console', Accept: options.accept ?? 'application/json' };
  if (UNSAFE.has(method) && csrfToken !== '') headers['X-CSRF-Token'] = csrfToken;
  let body: BodyInit | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      ...(body !== undefined ? { body } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (response.ok || options.anyStatus === true) return response;
  const problem = await problemOf(response);
  if (response.status === 401 && options.quiet401 !== true) onUnauthorized();
  throw problem;
}

/** The ApiError of a non-2xx response. */
export async function problemOf(response: Response): Promise<ApiError> {
  const retryHeader = response.headers.get('retry-after');
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  let code = `http_${response.status}`;
  let detail = `The server answered ${response.status} ${response.statusText}.`;
  let field: string | null = null;
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null) {
      const p = body as Record<string, unknown>;
      if (typeof p['code'] === 'string') code = p['code'];
      if (typeof p['detail'] === 'string') detail = p['detail'];
      else if (typeof p['message'] === 'string') detail = p['message'];
      if (typeof p['field'] === 'string') field = p['field'];
    } else if (typeof body === 'string') {
      code = body;
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, code, detail, field, retryAfter);
}

/** A JSON request. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body === undefined ? {} : { body });
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body === undefined ? {} : { body });
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, body === undefined ? {} : { body });
export const del = <T>(path: string, body?: unknown) => api<T>('DELETE', path, body === undefined ? {} : { body });

/** Encodes a path segment. */
export const seg = (value: string): string => encodeURIComponent(value);

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
