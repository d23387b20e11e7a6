import { ADMIN_PASSWORD } from '../../support/deed-process.js';

/** An account of a test. */
export interface User {
  readonly username: string;
  readonly password: string;
}

export const ADMIN: User = { username: 'admin', password: ADMIN_PASSWORD };

/** The REST API with HTTP Basic, for a test's setup and checks (the browser uses the console). */
export function apiAs(baseUrl: string, user: User) {
  const authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  const call = async (method: string, path: string, body?: unknown, raw?: { data: string | Buffer; type?: string }): Promise<Response> =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization,
        ...(raw !== undefined ? { 'content-type': raw.type ?? 'application/octet-stream' } : body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(raw !== undefined ? { body: raw.data } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await call(method, path, body);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    call,
    get: <T>(path: string) => json<T>('GET', path),
    post: <T>(path: string, body?: unknown) => json<T>('POST', path, body),
    /** Creates an account (call as admin). */
    addAccount: (account: User, role: 'admin' | 'provisioner' | 'owner') => json('POST', '/api/v1/accounts', { ...account, role }),
    /** Imports a CSV into the caller's inventory; the per-entry results. */
    async importCsv(csv: string): Promise<{ ok: boolean; devEUI: string; ownerToken: string | null }[]> {
      const response = await call('POST', '/api/v1/devices/import?format=csv', undefined, { data: csv, type: 'text/csv' });
      const body = (await response.json()) as { results: { ok: boolean; devEUI: string; ownerToken: string | null }[] };
      if (!response.ok) throw new Error(`import answered ${response.status}: ${JSON.stringify(body)}`);
      return body.results;
    },
    /** A device's TR005 QR code as PNG. */
    async qrPng(devEui: string): Promise<Buffer> {
      const response = await call('GET', `/api/v1/devices/${devEui}/qr?format=png`);
      if (!response.ok) throw new Error(`qr answered ${response.status}: ${await response.text()}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
