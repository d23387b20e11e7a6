import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPki } from './certificates.js';
import { freePort } from './free-port.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEED_BIN = join(REPO_ROOT, 'dist/src/cli/main.js');
export const ADMIN_PASSWORD = 'test-admin-password-1';

/** A temporary data directory, removed by the returned function. */
export function tempDir(prefix = 'deed-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A `deed serve` process on a free port. */
export interface DeedServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Everything the process wrote so far (stdout logs and stderr). */
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

export interface StartOptions {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly port?: number;
}

/** Starts `deed serve` (from dist/) and resolves once it listens. */
export async function startDeed(options: StartOptions = {}): Promise<DeedServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDir().path;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DEED_DATA_DIR: dataDir,
    DEED_HTTP_HOST: '127.0.0.1',
    DEED_HTTP_PORT: String(port),
    DEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
    DEED_LOG_LEVEL: 'info',
    // UDP listeners stay off unless a test asks for one: servers side by side would share 5683.
    DEED_COAP_PORT: '0',
    // The MQTT broker stays off unless a test asks for it: its default port 1884 is one for all.
    DEED_MQTT_PORT: '0',
    ...(options.databaseUrl !== undefined ? { DEED_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, [DEED_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deed serve did not start within 20 s:\n${out}`)), 20_000);
    const check = () => {
      if (out.includes('Deed is serving on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deed serve exited with ${code} before listening:\n${out}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** What a `deed` CLI run printed and how it exited. */
export interface DeedRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON; throws with both outputs when it is not JSON. */
  json<T = unknown>(): T;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Server URL; also logs in as admin. */
  readonly url?: string;
}

function cliEnv(options: RunOptions): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    XDG_CONFIG_HOME: join(tmpdir(), 'deed-test-no-config'),
    ...(options.url !== undefined ? { DEED_URL: options.url, DEED_USERNAME: 'admin', DEED_PASSWORD: ADMIN_PASSWORD } : {}),
    ...options.env,
  };
}

function deedRun(args: readonly string[], code: number, stdout: string, stderr: string): DeedRun {
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`deed ${args.join(' ')} printed no JSON (exit ${code}):\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
    },
  };
}

/** Runs the `deed` CLI synchronously. */
export function runDeed(args: readonly string[], options: RunOptions = {}): DeedRun {
  const r = spawnSync(process.execPath, [DEED_BIN, ...args], { env: cliEnv(options), input: options.input ?? '', encoding: 'utf8', timeout: 60_000 });
  return deedRun(args, r.status ?? -1, r.stdout, r.stderr);
}

/** Runs the `deed` CLI without blocking the test worker, so independent commands can run side by side. */
export function runDeedAsync(args: readonly string[], options: RunOptions = {}): Promise<DeedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEED_BIN, ...args], { env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(deedRun(args, code ?? -1, stdout, stderr));
    });
    // A command that does not read its standard input may exit before it is closed: EPIPE here is
    // not a failure (the run is judged by its exit code and output).
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starts `deed serve` with its HTTPS listener as well (the test PKI's server certificate, client
 * certificates checked against its CA); `httpsUrl` names it by `localhost`, the name in the
 * server certificate.
 */
export async function startDeedWithHttps(pki: TestPki, dataDir: string): Promise<{ server: DeedServer; httpsUrl: string; httpsPort: number }> {
  const httpsPort = await freePort();
  const server = await startDeed({
    dataDir,
    env: { DEED_HTTPS_PORT: String(httpsPort), DEED_TLS_CERT: pki.server.cert, DEED_TLS_KEY: pki.server.key, DEED_TLS_CLIENT_CA: pki.ca.cert },
  });
  return { server, httpsUrl: `https://localhost:${httpsPort}`, httpsPort };
}
