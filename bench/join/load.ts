/**
 * The load process of the join benchmark (run as a child of run.ts, so that it is a separate
 * process from the server under test): keeps `concurrency` BI JoinReqs in flight over keep-alive
 * HTTP for a warm-up and then a measured window, and prints one JSON line (LoadResult).
 *
 * Devices are taken round-robin, each with a fresh DevNonce (0, 1, 2, … per device: increasing for
 * the 1.0.4/1.1 counter rule and never repeated for 1.0.x), so every join is a real Success. With
 * far more devices than requests in flight, one device never has two joins in flight.
 *
 *   node dist/bench/join/load.js <config.json>
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { CLOCK_TICKS, machineCpuTicks, percentile, processTreeCpuTicks, type LoadResult } from './common.js';
import { joinReqBody, prepareDevice, type BenchDevice } from './devices.js';
import { RawConnection, type RawAnswer } from './raw-http.js';

/** What run.ts passes in the config file. */
export interface LoadConfig {
  readonly label: string;
  readonly url: string;
  /** Bearer token of the Network Server peer; null for the ceiling server. */
  readonly token: string | null;
  readonly devicesFile: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly requestTimeoutMs: number;
  /** The server's pid, to measure its CPU time and its workers' (Linux /proc). */
  readonly serverPid: number | null;
  /** SenderID: the Network Server's NetID. */
  readonly netId: string;
  /**
   * `raw`: one lean keep-alive HTTP/1.1 connection per request in flight (raw-http.ts);
   * `http`: node:http `http.request` with a keep-alive `http.Agent`.
   */
  readonly client: 'raw' | 'http';
}

const MAX_DEV_NONCE = 0xffff;

type Post = (body: string) => Promise<RawAnswer | Error>;

/** One POST function per request in flight, and how to close them all. */
interface Clients {
  readonly posts: readonly Post[];
  close(): void;
}

function rawClients(url: URL, auth: Record<string, string>, config: LoadConfig, onConnect: () => void): Clients {
  const connections = Array.from({ length: config.concurrency }, () =>
    new RawConnection(url, auth, config.requestTimeoutMs, onConnect));
  return { posts: connections.map((c) => (body: string) => c.request('POST', '/api/bi', body)), close: () => connections.forEach((c) => c.close()) };
}

function httpClients(url: URL, auth: Record<string, string>, config: LoadConfig, onConnect: () => void): Clients {
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency, maxFreeSockets: config.concurrency, scheduling: 'fifo' });
  const sockets = new WeakSet<object>();
  const post: Post = (body) =>
    new Promise((resolve) => {
      const req = http.request({
        agent, host: url.hostname, port: url.port, path: '/api/bi', method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', (e) => resolve(e));
      });
      req.on('socket', (socket) => {
        if (!sockets.has(socket)) {
          sockets.add(socket);
          onConnect();
        }
      });
      req.setTimeout(config.requestTimeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(e));
      req.end(body);
    });
  return { posts: Array.from({ length: config.concurrency }, () => post), close: () => agent.destroy() };
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined) throw new Error('usage: load.js <config.json>');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as LoadConfig;
  const devices = (JSON.parse(readFileSync(config.devicesFile, 'utf8')) as BenchDevice[]).map((d, i) => prepareDevice(d, config.netId, i));
  if (devices.length < config.concurrency * 2) throw new Error('need at least twice as many devices as requests in flight');
  const url = new URL(config.url);
  const auth: Record<string, string> = config.token !== null ? { authorization: `Bearer ${config.token}` } : {};

  let next = 0;
  let transactionId = 1;
  let connectionsOpened = 0;
  let latencies = new Float64Array(1 << 16);
  let measured = 0;
  let success = 0;
  let minBytes = Infinity;
  let maxBytes = 0;
  const failures: Record<string, number> = {};
  const failureSamples: string[] = [];

  const started = performance.now();
  const measureFrom = started + config.warmupMs;
  const measureTo = measureFrom + config.durationMs;
  const sampleCpu = (): CpuSample => ({
    at: performance.now(),
    load: process.cpuUsage(),
    server: config.serverPid === null ? null : processTreeCpuTicks(config.serverPid),
    machine: machineCpuTicks(),
  });
  let cpuAtStart: CpuSample | undefined;
  let cpuAtEnd: CpuSample | undefined;
  const startTimer = setTimeout(() => { cpuAtStart = sampleCpu(); }, config.warmupMs);

  const fail = (kind: string, sample: string) => {
    failures[kind] = (failures[kind] ?? 0) + 1;
    if (failureSamples.length < 5) failureSamples.push(sample.slice(0, 300));
  };

  const clients = config.client === 'raw'
    ? rawClients(url, auth, config, () => { connectionsOpened++; })
    : httpClients(url, auth, config, () => { connectionsOpened++; });

  /** Sends one JoinReq on `post` and records its answer; false once the measured window is over. */
  const joinOnce = async (post: Post): Promise<boolean> => {
    const now = performance.now();
    if (now >= measureTo) {
      cpuAtEnd ??= sampleCpu();
      return false;
    }
    const k = next++;
    const device = devices[k % devices.length];
    const devNonce = Math.floor(k / devices.length);
    if (device === undefined || devNonce > MAX_DEV_NONCE) return false;
    const body = joinReqBody(device, transactionId++ >>> 0, devNonce);
    const t0 = performance.now();
    const answer = await post(body);
    const t1 = performance.now();
    if (t1 >= measureFrom && t1 <= measureTo) record(answer, t1 - t0);
    return true;
  };

  const record = (answer: RawAnswer | Error, latencyMs: number): void => {
    if (measured === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[measured++] = latencyMs;
    if (answer instanceof Error) {
      fail(`error: ${answer.message}`, answer.message);
    } else if (answer.status !== 200) {
      fail(`HTTP ${answer.status}`, answer.text);
    } else if (answer.text.includes('"ResultCode":"Success"')) {
      success++;
      if (answer.text.length < minBytes) minBytes = answer.text.length;
      if (answer.text.length > maxBytes) maxBytes = answer.text.length;
    } else {
      fail(/"ResultCode":"([A-Za-z]+)"/.exec(answer.text)?.[1] ?? 'no ResultCode', answer.text);
    }
  };

  const progress = setInterval(() => {
    const now = performance.now();
    const phase = now < measureFrom ? 'warm-up' : 'measuring';
    process.stderr.write(`${phase} ${((now - started) / 1000).toFixed(0)} s, ${next} requests sent\n`);
  }, 2000);

  // Connections are opened one after another, each with one JoinReq answered before the next
  // opens, as a client's connection pool grows; then all `concurrency` requests go in flight.
  // Opened all at once, node:cluster's round robin (which hands each connection to whichever
  // worker acknowledged its last one first) split 64 connections 38/26 between two workers, and
  // the busier worker set the latency (docs/performance.md).
  for (const post of clients.posts) await joinOnce(post);
  await Promise.all(clients.posts.map(async (post) => {
    while (await joinOnce(post));
  }));
  clearInterval(progress);
  clearTimeout(startTimer);
  clients.close();

  const sorted = latencies.subarray(0, measured).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const windowMs = config.durationMs;
  const cpu = cpuShares(cpuAtStart, cpuAtEnd);
  const result: LoadResult = {
    label: config.label,
    client: config.client,
    concurrency: config.concurrency,
    warmupMs: config.warmupMs,
    measuredMs: windowMs,
    completed: measured,
    success,
    failures,
    failureSamples,
    requestsPerSecond: measured / (windowMs / 1000),
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
      mean: measured > 0 ? sum / measured : Number.NaN,
    },
    connectionsOpened,
    cpu,
    answerBytes: { min: Number.isFinite(minBytes) ? minBytes : 0, max: maxBytes },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

interface CpuSample {
  readonly at: number;
  readonly load: NodeJS.CpuUsage;
  readonly server: { user: number; system: number } | null;
  readonly machine: { busy: number; total: number } | null;
}

function cpuShares(start: CpuSample | undefined, end: CpuSample | undefined): LoadResult['cpu'] {
  if (start === undefined || end === undefined || end.at <= start.at) return { load: Number.NaN, server: null, serverSystem: null, machineBusy: null };
  const windowMs = end.at - start.at;
  const loadMicros = end.load.user - start.load.user + end.load.system - start.load.system;
  const share = (ticks: number) => (ticks / CLOCK_TICKS) * 1000 / windowMs * 100;
  const server = start.server !== null && end.server !== null
    ? share(end.server.user + end.server.system - start.server.user - start.server.system) : null;
  const serverSystem = start.server !== null && end.server !== null ? share(end.server.system - start.server.system) : null;
  // As a share of one core too: 200 is both cores of a 2-core machine busy.
  const machine = start.machine !== null && end.machine !== null && end.machine.total > start.machine.total
    ? ((end.machine.busy - start.machine.busy) / (end.machine.total - start.machine.total)) * 100 * cpus().length
    : null;
  return { load: (loadMicros / 1000 / windowMs) * 100, server, serverSystem, machineBusy: machine };
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
