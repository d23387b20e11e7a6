import { CliError, EXIT } from './cli-error.js';
import type { Connection } from './connection.js';

/** A thin client of Deed's REST API that turns every failure into a one-line CliError. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  /** The server's base URL, without a trailing slash. */
  get url(): string {
    return this.connection.url;
  }

  /** The Authorization header of this connection (API key or HTTP Basic), if it has credentials. */
  authorization(): string | undefined {
    const { username, password, apiKey } = this.connection;
    if (apiKey !== undefined) return `Bearer ${apiKey}`;
    if (username !== undefined && password !== undefined) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return undefined;
  }

  /** Turns a non-2xx answer (its status and parsed body) into the CliError every command uses. */
  failure(status: number, parsed: unknown): CliError {
    const { apiKey, username } = this.connection;
    const detail = (parsed as { detail?: unknown } | undefined)?.detail;
    const message = typeof detail === 'string' ? detail : `HTTP ${status}`;
    if (status === 401) {
      const hint = apiKey !== undefined || username !== undefined ? ''
        : '; give --username and --password (or DEED_USERNAME/DEED_PASSWORD, or username and password in the saved configuration file), or --api-key (DEED_API_KEY)';
      return new CliError(`${message}${hint}`, EXIT.auth);
    }
    // 403 is an authorization failure, except a refused claim (wrong code, locked device): the server refused.
    const code = (parsed as { code?: unknown } | undefined)?.code;
    if (status === 403 && (code === 'forbidden' || code === undefined)) return new CliError(message, EXIT.auth);
    return new CliError(message, EXIT.failed);
  }

  /** The CliError for a request that never got an answer. */
  unreachable(err: unknown): CliError {
    const cause = (err as { cause?: { code?: string; message?: string }; code?: string }).cause ?? (err as { code?: string; message?: string });
    return new CliError(
      `cannot reach the Deed server at ${this.connection.url} (${cause?.code ?? cause?.message ?? (err as Error).message}); is "deed serve" running? Set --url or DEED_URL`,
      EXIT.unreachable,
    );
  }

  /** Like {@link request}, but any HTTP answer comes back as status and parsed body (for APIs with bodies like `"FAILURE"`). */
  async exchange(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = this.authorization();
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.connection.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`the server at ${this.connection.url} answered ${response.status} with something that is not JSON; is --url pointing at Deed?`);
    }
    if (response.status === 401 || (response.status === 403 && (parsed as { code?: unknown } | undefined)?.code === 'forbidden')) {
      throw this.failure(response.status, parsed);
    }
    return { status: response.status, body: parsed };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const { url } = this.connection;
    const authorization = this.authorization();
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError(`the server at ${url} answered ${response.status} with something that is not JSON; is --url pointing at Deed?`);
      }
    }
    if (response.ok) return parsed as T;
    throw this.failure(response.status, parsed);
  }
}
