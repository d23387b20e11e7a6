import { ApiError, api, request, setCsrfToken, whenUnauthorized, type Session } from './api.js';
import { ROLE_NAMES, currentHash, match, type Ctx, type Route } from './app.js';
import { h, replace } from './dom.js';
import { errorBox } from './messages.js';
import { showSignIn } from './views/sign-in.js';

/**
 * The Deed web console: sign in, then role-aware pages over the REST API. Routes live in the
 * URL's hash (`#/devices/0004A30B001C0530`), so the server serves one page.
 */
const routes: readonly Route[] = [
  { path: 'devices', nav: 'Devices', roles: ['admin', 'provisioner', 'owner'], view: async () => (await import('./views/devices.js')).devicesView },
  { path: 'devices/:devEui', roles: ['admin', 'provisioner', 'owner'], view: async () => (await import('./views/device.js')).deviceView },
  { path: 'import', nav: 'Import devices', roles: ['admin', 'provisioner'], view: async () => (await import('./views/import.js')).importView },
  { path: 'claim', nav: 'Claim device', roles: ['admin', 'owner'], view: async () => (await import('./views/claim.js')).claimView },
  { path: 'claim/bulk', nav: 'Bulk claim', roles: ['admin', 'owner'], view: async () => (await import('./views/bulk-claim.js')).bulkClaimView },
  { path: 'claim/name', nav: 'Claim by name', roles: ['admin', 'owner'], view: async () => (await import('./views/claim-by-name.js')).claimByNameView },
  { path: 'applications', nav: 'Applications', roles: ['admin', 'owner'], view: async () => (await import('./views/applications.js')).applicationsView },
  { path: 'accounts', nav: 'Accounts', roles: ['admin'], view: async () => (await import('./views/accounts.js')).accountsView },
  { path: 'api-keys', nav: 'API keys', roles: ['admin', 'provisioner', 'owner'], view: async () => (await import('./views/api-keys.js')).apiKeysView },
  { path: 'peers', nav: 'Network peers', roles: ['admin'], view: async () => (await import('./views/peers.js')).peersView },
  { path: 'account', nav: 'My account', roles: ['admin', 'provisioner', 'owner'], view: async () => (await import('./views/account.js')).accountView },
];

const HOME: Readonly<Record<Session['role'], string>> = { admin: 'devices', provisioner: 'devices', owner: 'claim' };

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const topbar = document.getElementById('topbar') as HTMLElement;

let session: Session | null = null;
let leaving: (() => void)[] = [];
let renderCount = 0;

function leave(): void {
  const cleanups = leaving;
  leaving = [];
  for (const cleanup of cleanups) {
    try { cleanup(); } catch { /* a view's cleanup must not stop navigation */ }
  }
}

function drawChrome(current: Session | null, path: string): void {
  const brand = h('a', { class: 'brand', href: '#/' }, 'Deed');
  if (current === null) {
    replace(topbar, brand);
    replace(nav);
    return;
  }
  replace(topbar, brand,
    h('span', { class: 'who' }, `${current.username} · ${ROLE_NAMES[current.role]}`),
    h('button', { type: 'button', class: 'secondary', onclick: () => void signOut() }, 'Sign out'));
  const items = routes.filter((r) => r.nav !== undefined && r.roles.includes(current.role));
  const active = (r: Route) => path === r.path || (r.path === 'devices' && path.startsWith('devices/'));
  replace(nav, h('ul', {}, items.map((r) => h('li', {}, h('a', { href: `#/${r.path}`, ...(active(r) ? { 'aria-current': 'page' } : {}) }, r.nav ?? '')))));
}

async function render(): Promise<void> {
  leave();
  const count = ++renderCount;
  const { path, query } = currentHash();
  if (session === null) {
    drawChrome(null, path);
    showSignIn(main, signedIn);
    return;
  }
  const current = session;
  const found = match(routes, path);
  if (found === null || !found.route.roles.includes(current.role)) {
    window.location.replace(`#/${HOME[current.role]}`);
    return;
  }
  drawChrome(current, path);
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  const ctx: Ctx = {
    session: current,
    main,
    params: found.params,
    query,
    navigate: (hash) => { window.location.hash = hash; },
    onLeave: (cleanup) => { leaving.push(cleanup); },
    setTitle: (title) => { document.title = `${title} · Deed`; },
  };
  try {
    const view = await found.route.view();
    if (count !== renderCount) return;
    replace(main);
    await view(ctx);
  } catch (error) {
    if (count !== renderCount) return;
    if (error instanceof ApiError && error.status === 401) return;
    replace(main, errorBox(error));
  }
  if (count === renderCount && document.activeElement === document.body) main.focus({ preventScroll: true });
}

function signedIn(next: Session): void {
  session = next;
  setCsrfToken(next.csrfToken);
  const { path } = currentHash();
  if (path === '' || match(routes, path) === null) window.location.hash = `#/${HOME[next.role]}`;
  void render();
}

async function signOut(): Promise<void> {
  leave();
  try {
    await request('DELETE', '/api/v1/session', { quiet401: true });
  } catch {
    // Signed out either way: the cookie is cleared or already dead.
  }
  session = null;
  setCsrfToken('');
  drawChrome(null, '');
  showSignIn(main, signedIn, 'You are signed out.');
}

whenUnauthorized(() => {
  if (session === null) return;
  leave();
  session = null;
  setCsrfToken('');
  drawChrome(null, '');
  showSignIn(main, signedIn, 'Your session has ended. Sign in again.');
});

window.addEventListener('hashchange', () => void render());

async function boot(): Promise<void> {
  try {
    const current = await api<Session>('GET', '/api/v1/session', { quiet401: true });
    session = current;
    setCsrfToken(current.csrfToken);
  } catch {
    session = null;
  }
  if (session !== null && currentHash().path === '') window.location.replace(`#/${HOME[session.role]}`);
  await render();
}

void boot();
