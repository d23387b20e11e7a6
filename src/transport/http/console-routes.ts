import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problem } from './problem.js';

/**
 * The web console's Content-Security-Policy: its own scripts and styles only (no inline script
 * or style), images from itself and from blobs it made (QR codes), the camera's stream, fetch to
 * its own origin; it cannot be framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "media-src 'self' blob: mediastream:",
  "connect-src 'self'", "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Reads the built console (a handful of small files) into memory once. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

function security(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('permissions-policy', 'camera=(self), microphone=(), geolocation=()')
    .header('cross-origin-opener-policy', 'same-origin');
}

/**
 * Serves the built web console (`npm run build` bundles console/ into dist/console): `GET /` is
 * its page, `GET /console/{file}` its script and style sheet. The console talks to the REST API
 * only. Without a build, `/` answers 503 saying how to build it.
 */
export async function consoleRoutes(app: FastifyInstance, options: { dir: string }): Promise<void> {
  const assets = loadAssets(options.dir);

  const send = (reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined) => {
    security(reply).header('etag', asset.etag).header('cache-control', 'no-cache');
    if (ifNoneMatch === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const index = assets.get('index.html');
    if (index === undefined) {
      return reply.code(503).type('application/problem+json')
        .send({ ...problem(503, 'console_not_built', 'the web console is not built: run npm run build'), title: 'Service Unavailable' });
    }
    return send(reply, index, request.headers['if-none-match']);
  });

  app.get('/console/:file', { schema: { hide: true } }, async (request, reply) => {
    const name = (request.params as { file: string }).file;
    const asset = name === 'index.html' ? undefined : assets.get(name);
    if (asset === undefined) {
      return reply.code(404).type('application/problem+json').send(problem(404, 'not_found', `no console file ${name}`));
    }
    return send(reply, asset, request.headers['if-none-match']);
  });
}
