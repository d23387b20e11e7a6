import { CliError, EXIT } from './cli-error.js';
import type { Connection } from './connection.js';

/** A thin client of Deed's REST API that turns every failure into a one-line CliError. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const { url, username, password, apiKey } = this.connection;
    if (apiKey !== undefined) {
      headers['authorization'] = `Bearer ${apiKey}`;
    } else if (username !== undefined && password !== undefined) {
      headers['authorization'] = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the Deed server at ${url} (${cause?.code ?? cause?.message ?? (err as Error).message}); is "deed serve" running? Set --url or DEED_URL`,
        EXIT.unreachable,
      );
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
    const detail = (parsed as { detail?: unknown } | undefined)?.detail;
    const message = typeof detail === 'string' ? detail : `HTTP ${response.status}`;
    if (response.status === 401) {
      const hint = apiKey !== undefined || username !== undefined ? ''
        : '; give --username and --password (or DEED_USERNAME/DEED_PASSWORD, or username and password in the saved configuration file), or --api-key (DEED_API_KEY)';
      throw new CliError(`${message}${hint}`, EXIT.auth);
    }
    if (response.status === 403) throw new CliError(message, EXIT.auth);
    throw new CliError(message, EXIT.failed);
  }
}
