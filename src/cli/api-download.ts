import { CliError, EXIT } from './cli-error.js';
import type { Connection } from './connection.js';

/** A non-JSON answer of the REST API (an image, a label sheet) and its content type. */
export interface Download {
  readonly bytes: Buffer;
  readonly contentType: string;
}

/**
 * Fetches a binary answer of Deed's REST API, sending `body` as JSON when given. Failures become
 * one-line CliErrors with the exit codes of {@link ApiClient.request}: 3 when the server cannot be
 * reached, 4 for 401 and 403, 1 for every other refusal (the problem's `detail`).
 */
export async function download(connection: Connection, method: string, path: string, body?: unknown): Promise<Download> {
  const { url, username, password, apiKey } = connection;
  const headers: Record<string, string> = { accept: '*/*' };
  if (apiKey !== undefined) headers['authorization'] = `Bearer ${apiKey}`;
  else if (username !== undefined && password !== undefined) {
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
  const bytes = Buffer.from(await response.arrayBuffer());
  const contentType = response.headers.get('content-type') ?? '';
  if (response.ok) return { bytes, contentType };
  let detail: unknown;
  try {
    detail = (JSON.parse(bytes.toString('utf8')) as { detail?: unknown }).detail;
  } catch {
    detail = undefined;
  }
  const message = typeof detail === 'string' ? detail : `HTTP ${response.status}`;
  if (response.status === 401) {
    const hint = apiKey !== undefined || username !== undefined ? ''
      : '; give --username and --password (or DEED_USERNAME/DEED_PASSWORD, or the saved configuration file), or --api-key (DEED_API_KEY)';
    throw new CliError(`${message}${hint}`, EXIT.auth);
  }
  throw new CliError(message, response.status === 403 ? EXIT.auth : EXIT.failed);
}
