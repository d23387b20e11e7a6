import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../browser/support/console-build.js';
import { ADMIN_PASSWORD, startDeed, tempDir, type DeedServer } from '../support/deed-process.js';

/**
 * The web console's sessions against a real `deed serve`, over plain HTTP: sign-in sets an
 * HttpOnly, SameSite=Strict cookie; unsafe methods with the cookie need the CSRF token; HTTP
 * Basic and API keys are unaffected; sign-out, password changes and disabled accounts end
 * sessions; failed sign-ins lock out with Retry-After; the console page has a strict CSP.
 */

const OWNER = { username: 'session-owner', password: 'session owner password' };
const basicAdmin = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

interface Signed {
  readonly cookie: string;
  readonly setCookie: string;
  readonly csrfToken: string;
  readonly body: Record<string, unknown>;
}

describe('console sessions over HTTP', () => {
  let server: DeedServer;
  const data = tempDir('deed-console-session-');

  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => fetch(`${server.url}${path}`, {
    method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

  async function signIn(username: string, password: string): Promise<Signed> {
    const response = await call('POST', '/api/v1/session', {}, { username, password });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(201);
    const setCookie = response.headers.get('set-cookie') ?? '';
    return { cookie: setCookie.split(';')[0] ?? '', setCookie, csrfToken: String(body['csrfToken']), body };
  }

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startDeed({ dataDir: data.path });
    const created = await call('POST', '/api/v1/accounts', { authorization: basicAdmin }, { ...OWNER, role: 'owner' });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie holding an opaque token, and a CSRF token in the body', async () => {
    const signed = await signIn(OWNER.username, OWNER.password);
    expect(signed.setCookie).toMatch(/^deed_session=ds_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=4319\d$/);
    expect(signed.body).toMatchObject({ username: OWNER.username, role: 'owner', scopes: expect.arrayContaining(['claims:write']) });
    expect(JSON.stringify(signed.body)).not.toContain(signed.cookie.split('=')[1]);
    const me = await call('GET', '/api/v1/me', { cookie: signed.cookie });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: OWNER.username, authenticatedWith: 'password' });
    const again = await call('GET', '/api/v1/session', { cookie: signed.cookie });
    expect(await again.json()).toMatchObject({ username: OWNER.username, csrfToken: signed.csrfToken });
  });

  it('needs X-CSRF-Token on unsafe methods with the cookie; HTTP Basic needs none', async () => {
    const signed = await signIn(OWNER.username, OWNER.password);
    const none = await call('POST', '/api/v1/applications', { cookie: signed.cookie }, { id: 'csrf-app' });
    expect(none.status).toBe(403);
    expect(await none.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('X-CSRF-Token') });
    const wrong = await call('POST', '/api/v1/applications', { cookie: signed.cookie, 'x-csrf-token': `${signed.csrfToken}x` }, { id: 'csrf-app' });
    expect(wrong.status).toBe(403);
    const right = await call('POST', '/api/v1/applications', { cookie: signed.cookie, 'x-csrf-token': signed.csrfToken }, { id: 'csrf-app' });
    expect(right.status).toBe(201);
    // Another session's CSRF token does not fit this one.
    const other = await signIn(OWNER.username, OWNER.password);
    const crossed = await call('POST', '/api/v1/applications', { cookie: signed.cookie, 'x-csrf-token': other.csrfToken }, { id: 'csrf-app-2' });
    expect(crossed.status).toBe(403);
    // HTTP Basic wins over a cookie and needs no CSRF token.
    const basic = await call('POST', '/api/v1/accounts', { authorization: basicAdmin, cookie: signed.cookie }, { username: 'basic-made', password: 'basic made password', role: 'owner' });
    expect(basic.status).toBe(201);
  });

  it('answers the console\'s 401s without WWW-Authenticate (no browser password dialog), others with it', async () => {
    const console401 = await call('GET', '/api/v1/devices', { 'x-requested-with': 'deed-console' });
    expect(console401.status).toBe(401);
    expect(console401.headers.get('www-authenticate')).toBeNull();
    const plain401 = await call('GET', '/api/v1/devices');
    expect(plain401.headers.get('www-authenticate')).toContain('Basic');
    const dead = await call('GET', '/api/v1/devices', { cookie: 'deed_session=ds_not-a-live-session' });
    expect(dead.status).toBe(401);
    expect(dead.headers.get('set-cookie')).toMatch(/^deed_session=; .*Max-Age=0/);
  });

  it('signs out (with the CSRF token), ends the others at a password change, and stops a disabled account at once', async () => {
    const a = await signIn(OWNER.username, OWNER.password);
    const b = await signIn(OWNER.username, OWNER.password);
    expect((await call('DELETE', '/api/v1/session', { cookie: a.cookie })).status).toBe(403);
    const out = await call('DELETE', '/api/v1/session', { cookie: a.cookie, 'x-csrf-token': a.csrfToken });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^deed_session=; .*Max-Age=0/);
    expect((await call('GET', '/api/v1/me', { cookie: a.cookie })).status).toBe(401);
    expect((await call('GET', '/api/v1/me', { cookie: b.cookie })).status).toBe(200);

    const c = await signIn(OWNER.username, OWNER.password);
    const newPassword = 'session owner password 2';
    const changed = await call('PUT', '/api/v1/me/password', { cookie: b.cookie, 'x-csrf-token': b.csrfToken }, { currentPassword: OWNER.password, newPassword });
    expect(changed.status).toBe(204);
    expect((await call('GET', '/api/v1/me', { cookie: b.cookie })).status).toBe(200);
    expect((await call('GET', '/api/v1/me', { cookie: c.cookie })).status).toBe(401);

    const disabled = await call('POST', `/api/v1/accounts/${OWNER.username}/disable`, { authorization: basicAdmin });
    expect(disabled.status).toBe(200);
    expect((await call('GET', '/api/v1/me', { cookie: b.cookie })).status).toBe(401);
    expect((await call('POST', `/api/v1/accounts/${OWNER.username}/enable`, { authorization: basicAdmin })).status).toBe(200);
  });

  it('locks sign-in out after wrong passwords, with Retry-After, even for the right password', async () => {
    await call('POST', '/api/v1/accounts', { authorization: basicAdmin }, { username: 'guessed', password: 'guessed password 1', role: 'owner' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call('POST', '/api/v1/session', {}, { username: 'guessed', password: `guess ${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const locked = await call('POST', '/api/v1/session', {}, { username: 'guessed', password: 'guessed password 1' });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.json()).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/try again in \d+ s/) });
  });

  it('serves the console at / under a strict Content-Security-Policy, and documents the session in the OpenAPI document', async () => {
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/app.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle="/);
    const script = await call('GET', '/console/app.js');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect((await call('GET', '/console/nothing.js')).status).toBe(404);

    const doc = (await (await call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/session', '/api/v1/devices/{devEui}/sessions']));
    expect(doc.components.securitySchemes['sessionCookie']).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'deed_session' });
  });
});
