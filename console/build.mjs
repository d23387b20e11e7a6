// Bundles the web console (console/src, TypeScript) with esbuild into dist/console, beside the
// server's dist/src: `npm run build` runs it after tsc; the browser tests run it too.
// No network: esbuild and jsQR come from node_modules.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the console into `outdir` (default dist/console); resolves to that directory. */
export async function buildConsole({ outdir = join(here, '..', 'dist', 'console'), minify = true } = {}) {
  // Built beside the target, then moved into place: a server never reads half a build.
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: join(staging, 'app.js'),
    bundle: true,
    format: 'esm',
    // Browsers of the last few years (phones included): the camera API and ES2020 are there.
    target: ['es2020', 'chrome91', 'firefox90', 'safari15'],
    minify,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const name of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', name), join(staging, name));
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
  return outdir;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = await buildConsole();
  process.stdout.write(`console built into ${outdir}\n`);
}
