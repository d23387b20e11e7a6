import type { Role, Session } from './api.js';

/** What a view gets: the signed-in session, where to draw, and navigation. */
export interface Ctx {
  readonly session: Session;
  readonly main: HTMLElement;
  /** The route's `:name` parts. */
  readonly params: Readonly<Record<string, string>>;
  /** The hash's query (`#/devices?state=claimed`). */
  readonly query: URLSearchParams;
  /** Goes to a hash route (`#/devices/…`). */
  navigate(hash: string): void;
  /** Runs when the view is left (stop the camera, abort a request). */
  onLeave(cleanup: () => void): void;
  setTitle(title: string): void;
}

export type View = (ctx: Ctx) => Promise<void> | void;

export interface Route {
  /** `devices/:devEui` */
  readonly path: string;
  readonly view: () => Promise<View>;
  readonly roles: readonly Role[];
  /** Shown in the navigation when set. */
  readonly nav?: string;
}

/** Matches a hash path against the routes. */
export function match(routes: readonly Route[], path: string): { route: Route; params: Record<string, string> } | null {
  const parts = path.split('/').filter((p) => p !== '');
  for (const route of routes) {
    const pattern = route.path.split('/').filter((p) => p !== '');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    pattern.forEach((piece, i) => {
      const part = parts[i] ?? '';
      if (piece.startsWith(':')) params[piece.slice(1)] = decodeURIComponent(part);
      else if (piece !== part) ok = false;
    });
    if (ok) return { route, params };
  }
  return null;
}

/** The hash split into path and query. */
export function currentHash(): { path: string; query: URLSearchParams } {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  return q < 0 ? { path: hash, query: new URLSearchParams() } : { path: hash.slice(0, q), query: new URLSearchParams(hash.slice(q + 1)) };
}

/** Role names as people read them. */
export const ROLE_NAMES: Readonly<Record<Role, string>> = { admin: 'Admin', provisioner: 'Device maker', owner: 'Device owner' };
