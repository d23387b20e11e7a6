/**
 * Helpers shared by the join benchmark's processes: child processes that are always cleaned up,
 * free ports, keep-alive HTTP calls, percentiles and CPU accounting. Only 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';

/** What the load process prints (one JSON line on stdout) when it is done. */
export interface LoadResult {
  readonly label: string;
  readonly client: 'raw' | 'http';
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measuredMs: number;
  /** Answers completed inside the measured window. */
  readonly completed: number;
  readonly success: number;
  /** Non-Success answers and transport errors, by ResultCode / error. */
  readonly failures: Readonly<Record<string, number>>;
  /** A few examples of failure descriptions. */
  readonly failureSamples: readonly string[];
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** TCP connections the client opened over the whole run (keep-alive: should equal the concurrency). */
  readonly connectionsOpened: number;
  /** CPU time over the measured window, as a share of one core (100 = one core busy). */
  readonly cpu: {
    readonly load: number;
    readonly server: number | null;
    /** The part of `server` spent in the kernel (network and file system calls). */
    readonly serverSystem: number | null;
    readonly machineBusy: number | null;
  };
  readonly answerBytes: { readonly min: number; readonly max: number };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A child process this run owns: it is killed when the run ends, however it ends. */
export interface OwnedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far (the last 64 KiB). */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once it exited and its output was read. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<number | string>;
}

const owned = new Set<OwnedChild>();

/** Kills every child still running, synchronously (for `exit` handlers). */
export function killAllOwned(): void {
  for (const child of owned) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

/** Stops every child still running, gracefully where possible. */
export async function stopAllOwned(): Promise<void> {
  await Promise.all([...owned].map((c) => c.stop(3000)));
}

/**
 * Spawns `node <args>` as an owned child. stderr is kept (bounded) and, when `echoStderr`, copied
 * to ours with a prefix.
 */
export function spawnNode(
  name: string, args: readonly string[], env: NodeJS.ProcessEnv, options: { echoStderr?: boolean } = {},
): OwnedChild {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-65536);
    if (options.echoStderr === true) process.stderr.write(d.replace(/^(?=.)/gm, `  [${name}] `));
  });
  // 'close' comes after 'exit' once stdout and stderr are drained: the output is complete then.
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve(code ?? signal ?? -1));
    child.once('error', (e) => { err += `\n${e.message}`; resolve(-1); });
  });
  const owner: OwnedChild = {
    name,
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
  owned.add(owner);
  void exited.then(() => owned.delete(owner));
  return owner;
}

/** Resolves when the child's stderr matches `pattern`; rejects if it exits first or after `timeoutMs`. */
export function waitForStderr(child: OwnedChild, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = child.stderr().match(pattern);
      if (m !== null) {
        done();
        resolve(m);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name} did not get ready within ${timeoutMs} ms:\n${child.stderr()}`));
    }, timeoutMs);
    const onExit = (code: number | string) => {
      done();
      reject(new Error(`${child.name} exited (${code}) before it was ready:\n${child.stderr()}`));
    };
    const done = () => {
      clearTimeout(timer);
      child.process.stderr?.off('data', check);
    };
    child.process.stderr?.on('data', check);
    void child.exited.then(onExit);
    check();
  });
}

/** A keep-alive JSON-over-HTTP client for setup calls (not the measured load). */
export function createHttpClient(baseUrl: string, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const url = new URL(baseUrl);
  return {
    request(method: string, path: string, headers: Record<string, string>, body?: string, timeoutMs = 30_000): Promise<{ status: number; text: string }> {
      return new Promise((resolve, reject) => {
        const req = http.request({
          agent, host: url.hostname, port: url.port, path, method,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
        }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => { text += d; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        });
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close(): void {
      agent.destroy();
    },
  };
}

/** The p-th percentile (0..100) of ascending-sorted values, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** Jiffies (user, system) a process has used, from /proc; null where /proc is not available. */
export function processCpuTicks(pid: number): { user: number; system: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that ends the command name: state is field 3; utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * Jiffies (user, system) a process and all its descendants (e.g. the workers of `deed serve`
 * with DEED_WORKERS) have used, from /proc; null where /proc is not available.
 */
export function processTreeCpuTicks(pid: number): { user: number; system: number } | null {
  const root = processCpuTicks(pid);
  if (root === null) return null;
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return root;
  }
  const total = { ...root };
  const pending = [...(children.get(pid) ?? [])];
  for (let child = pending.pop(); child !== undefined; child = pending.pop()) {
    const ticks = processCpuTicks(child);
    if (ticks !== null) {
      total.user += ticks.user;
      total.system += ticks.system;
    }
    pending.push(...(children.get(child) ?? []));
  }
  return total;
}

/** Busy and total jiffies of the whole machine, from /proc/stat; null elsewhere. */
export function machineCpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Clock ticks per second for /proc figures (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = 100;
