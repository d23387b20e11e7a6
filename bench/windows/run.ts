/**
 * `npm run bench:windows`: device-opened claim windows over MQTT. 10,000 IP devices (created in
 * bulk by a maker) connect to Deed's embedded broker with their access tokens, subscribe to
 * `v1/devices/me/claim/response`, and each opens its window by publishing
 * `{"secretKey","durationMs"}` to `v1/devices/me/claim` (QoS 1), `--inflight` at a time over
 * their own connections. Measured: windows/s, and the latency from the PUBLISH to the response
 * (sent once the window is stored: the device is claimable from then on), p50/p99; every
 * `--sample-every`-th device is claimed over HTTP the moment its response arrives, to check it
 * really is. Then an owner claims all the others over HTTP (API key, keep-alive, 32 in flight):
 * claims/s. Target: ≥ 5,000 windows/s on SQLite. See docs/performance.md.
 *
 *   node dist/bench/windows/run.js [--devices 10000] [--inflight 200] [--targets sqlite,postgres,postgres-redis]
 *     [--redis-url redis://127.0.0.1:6379/14] [--pg-admin-url URL] [--deed PATH] [--cpu-prof DIR] [--json FILE]
 *
 * Exits 0 whether or not the target is met; non-zero only when something broke.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RawConnection } from '../join/raw-http.js';
import { createPostgresDatabase } from '../join/postgres-database.js';
import { atCleanUp, runBenchmark, UsageError } from '../join/benchmark-run.js';
import { CLOCK_TICKS, machineCpuTicks, percentile, processCpuTicks } from '../join/common.js';
import { connectPacket, publishPacket, RawMqttClient, subscribePacket } from './raw-mqtt.js';
import { prepareDevices, startDeedWithMqtt, type BenchDevice } from './setup.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BUILT_DEED_MAIN = resolve(HERE, '../../src/cli/main.js');
const TARGET_WINDOWS_PER_SECOND = 5000;
const RESPONSE_TOPIC = 'v1/devices/me/claim/response';
const CLAIM_TOPIC = 'v1/devices/me/claim';
const TIMEOUT_MS = 30_000;
const TARGETS = ['sqlite', 'postgres', 'postgres-redis'] as const;
type Target = typeof TARGETS[number];

interface Options {
  readonly devices: number;
  readonly inflight: number;
  readonly connectConcurrency: number;
  readonly claimConcurrency: number;
  readonly sampleEvery: number;
  readonly targets: readonly Target[];
  readonly redisUrl: string;
  readonly pgAdminUrl: string;
  readonly deedMain: string;
  readonly cpuProfDir: string | null;
  readonly jsonFile: string | null;
}

const HELP = `npm run bench:windows [-- flags]   (or: node dist/bench/windows/run.js [flags])

  --devices N              IP devices, each with its own MQTT connection and one window (default 10000)
  --inflight N             window announcements awaiting their response at once (default 200)
  --connect-concurrency N  connections being set up at once (default 500)
  --claim-concurrency N    HTTP claims in flight over as many keep-alive connections (default 32)
  --sample-every N         claim every N-th device over HTTP as soon as its response arrives (default 100)
  --targets LIST           sqlite, postgres, postgres-redis (PostgreSQL + DEED_REDIS_URL) (default sqlite,postgres)
  --redis-url URL          Redis for postgres-redis; Deed's keys there are deleted afterwards (default redis://127.0.0.1:6379/14)
  --pg-admin-url URL       PostgreSQL to create a temporary database in (default postgres://postgres@127.0.0.1:5432/postgres)
  --deed PATH              the deed CLI to benchmark (default: this build's dist/src/cli/main.js)
  --cpu-prof DIR           run the Deed servers under node --cpu-prof, profiles in DIR
  --json FILE              also write the results as JSON to FILE
`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string' }, inflight: { type: 'string' }, 'connect-concurrency': { type: 'string' }, 'claim-concurrency': { type: 'string' },
      'sample-every': { type: 'string' }, targets: { type: 'string' }, 'redis-url': { type: 'string' }, 'pg-admin-url': { type: 'string' },
      deed: { type: 'string' }, 'cpu-prof': { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const targets = (values.targets ?? 'sqlite,postgres').split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of targets) if (!(TARGETS as readonly string[]).includes(t)) throw new UsageError(`unknown target ${t}: expected ${TARGETS.join(', ')}`);
  return {
    devices: int('--devices', values.devices, 10_000, 100, 18_000),
    inflight: int('--inflight', values.inflight, 200, 1, 10_000),
    connectConcurrency: int('--connect-concurrency', values['connect-concurrency'], 500, 1, 10_000),
    claimConcurrency: int('--claim-concurrency', values['claim-concurrency'], 32, 1, 1024),
    sampleEvery: int('--sample-every', values['sample-every'], 100, 1, 1_000_000),
    targets: targets as Target[],
    redisUrl: values['redis-url'] ?? 'redis://127.0.0.1:6379/14',
    pgAdminUrl: values['pg-admin-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    deedMain: resolve(values.deed ?? BUILT_DEED_MAIN),
    cpuProfDir: values['cpu-prof'] === undefined ? null : resolve(values['cpu-prof']),
    jsonFile: values.json === undefined ? null : resolve(values.json),
  };
}

const LOAD_BEFORE = loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

interface Latency { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
interface Cpu { readonly server: number | null; readonly load: number; readonly machineBusy: number | null }

interface WindowResult {
  readonly target: Target;
  readonly devices: number;
  readonly connectSeconds: number;
  readonly windows: { readonly ok: number; readonly failures: Record<string, number>; readonly seconds: number; readonly perSecond: number; readonly latencyMs: Latency; readonly cpu: Cpu };
  readonly sampleClaims: { readonly tried: number; readonly success: number; readonly failures: Record<string, number>; readonly publishToClaimedMs: Latency };
  readonly claims: { readonly tried: number; readonly success: number; readonly failures: Record<string, number>; readonly seconds: number; readonly perSecond: number; readonly latencyMs: Latency; readonly cpu: Cpu };
}

function latency(values: Float64Array): Latency {
  const sorted = values.slice().sort();
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** CPU shares (100 = one core) of the server, this process and the machine while `work` runs. */
async function measured<T>(serverPid: number | null, work: () => Promise<T>): Promise<{ value: T; seconds: number; cpu: Cpu }> {
  const serverBefore = serverPid === null ? null : processCpuTicks(serverPid);
  const machineBefore = machineCpuTicks();
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  const loadCpu = process.cpuUsage(loadBefore);
  const serverAfter = serverPid === null ? null : processCpuTicks(serverPid);
  const machineAfter = machineCpuTicks();
  const share = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
  return {
    value, seconds,
    cpu: {
      server: serverBefore === null || serverAfter === null ? null : share(serverAfter.user + serverAfter.system - serverBefore.user - serverBefore.system),
      load: ((loadCpu.user + loadCpu.system) / 1e6 / seconds) * 100,
      machineBusy: machineBefore === null || machineAfter === null || machineAfter.total <= machineBefore.total ? null
        : ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100 * cpus().length,
    },
  };
}

/** A connected, subscribed device: `next()` resolves with its next response. */
interface Connected {
  readonly client: RawMqttClient;
  waiter: ((payload: Buffer | Error) => void) | null;
}

async function connectAll(port: number, devices: readonly BenchDevice[], concurrency: number): Promise<Connected[]> {
  const connected: Connected[] = new Array(devices.length);
  let next = 0;
  const one = (device: BenchDevice, i: number) => new Promise<Connected>((resolveOne, reject) => {
    const state: Connected = {
      waiter: null,
      client: new RawMqttClient(port, '127.0.0.1', {
        connack: (code) => {
          if (code !== 0) reject(new Error(`CONNACK ${code} for ${device.name}`));
          else state.client.write(subscribePacket(1, RESPONSE_TOPIC, 0));
        },
        suback: (_id, granted) => (granted === 0 ? resolveOne(state) : reject(new Error(`SUBACK ${granted} for ${device.name}`))),
        message: (topic, payload) => {
          if (topic !== RESPONSE_TOPIC) return;
          const waiter = state.waiter;
          state.waiter = null;
          waiter?.(payload);
        },
        close: (error) => {
          const waiter = state.waiter;
          state.waiter = null;
          waiter?.(error ?? new Error('connection closed'));
          reject(error ?? new Error(`connection of ${device.name} closed`));
        },
      }),
    };
    state.client.socket.once('connect', () => state.client.write(connectPacket(`bench-${i}`, device.accessToken)));
  });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < devices.length; i = next++) connected[i] = await one(devices[i] as BenchDevice, i);
  }));
  return connected;
}

/** Claims over HTTP through `connections` keep-alive connections, from a shared queue. */
function claimer(url: string, ownerKey: string, size: number) {
  const connections = Array.from({ length: size }, () => new RawConnection(new URL(url), { 'x-api-key': ownerKey }, TIMEOUT_MS, () => undefined));
  const idle = [...connections];
  const queue: (() => void)[] = [];
  const claim = async (device: BenchDevice): Promise<string> => {
    const connection = idle.pop() ?? await new Promise<RawConnection>((resolveIdle) => queue.push(() => resolveIdle(idle.pop() as RawConnection)));
    try {
      const answer = await connection.request('POST', `/api/customer/device/${device.name}/claim`, `{"secretKey":"${device.secretKey}"}`);
      if (answer instanceof Error) return answer.message;
      return answer.status === 200 && answer.text.includes('"SUCCESS"') ? 'SUCCESS' : `${answer.status} ${answer.text.slice(0, 60)}`;
    } finally {
      idle.push(connection);
      queue.shift()?.();
    }
  };
  return { claim, close: () => connections.forEach((c) => c.close()) };
}

async function runTarget(target: Target, opts: Options, work: string): Promise<WindowResult> {
  log(`\n== Deed on ${target} ==`);
  let database: { url: string; drop: () => Promise<void> } | null = null;
  if (target !== 'sqlite') {
    const created = await createPostgresDatabase(opts.pgAdminUrl, log);
    if (typeof created === 'string') throw new Error(`PostgreSQL: ${created}`);
    database = created;
    atCleanUp(created.drop);
  }
  const redisUrl = target === 'postgres-redis' ? opts.redisUrl : null;
  if (redisUrl !== null) {
    atCleanUp(async () => {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys('deed:mqtt:*');
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
  }
  const dataDir = join(work, `data-${target}`);
  mkdirSync(dataDir, { recursive: true });
  const adminPassword = randomBytes(16).toString('hex');
  const nodeArgs = opts.cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir, '--cpu-prof-name', `deed-windows-${target}.cpuprofile`];
  if (opts.cpuProfDir !== null) mkdirSync(opts.cpuProfDir, { recursive: true });
  const server = await startDeedWithMqtt(opts.deedMain, { label: target, dataDir, databaseUrl: database?.url ?? null, redisUrl }, adminPassword, nodeArgs);
  const pid = server.child.process.pid ?? null;
  const { devices, ownerKey } = await prepareDevices(server.url, adminPassword, opts.devices, log);

  const connect = await measured(pid, () => connectAll(server.mqttPort, devices, opts.connectConcurrency));
  const clients = connect.value;
  log(`  ${devices.length} devices connected and subscribed in ${fmt(connect.seconds, 1)} s (${fmt(devices.length / connect.seconds, 0)} connections/s)`);

  // Windows: `inflight` announcements awaiting their response at once, each on its device's connection.
  const windowLatencies = new Float64Array(devices.length);
  const windowFailures: Record<string, number> = {};
  let ok = 0;
  // Enough connections that a sampled claim does not wait for another.
  const sampleClaimer = claimer(server.url, ownerKey, 16);
  const sampleResults: Promise<{ outcome: string; ms: number }>[] = [];
  const sampled = new Set<number>();
  let next = 0;
  const windows = await measured(pid, async () => Promise.all(Array.from({ length: opts.inflight }, async () => {
    for (let i = next++; i < devices.length; i = next++) {
      const device = devices[i] as BenchDevice;
      const connection = clients[i] as Connected;
      const started = performance.now();
      const answer = await new Promise<Buffer | Error>((resolveAnswer) => {
        const timer = setTimeout(() => resolveAnswer(new Error('no response within 30 s')), TIMEOUT_MS);
        connection.waiter = (payload) => {
          clearTimeout(timer);
          resolveAnswer(payload);
        };
        connection.client.write(publishPacket(CLAIM_TOPIC, `{"secretKey":"${device.secretKey}","durationMs":1800000}`, 1, 1));
      });
      windowLatencies[i] = performance.now() - started;
      const text = answer instanceof Error ? answer.message : answer.toString('utf8');
      if (text.startsWith('{"result":"OK"')) {
        ok++;
        if (i % opts.sampleEvery === 0) {
          sampled.add(i);
          sampleResults.push(sampleClaimer.claim(device).then((outcome) => ({ outcome, ms: performance.now() - started })));
        }
      } else {
        const key = text.slice(0, 80);
        windowFailures[key] = (windowFailures[key] ?? 0) + 1;
      }
    }
  })));
  const samples = await Promise.all(sampleResults);
  sampleClaimer.close();
  const windowsPerSecond = devices.length / windows.seconds;
  log(`  windows: ${fmt(windowsPerSecond, 0)}/s, ${ok} OK of ${devices.length}; sampled claims right after: `
    + `${samples.filter((s) => s.outcome === 'SUCCESS').length} SUCCESS of ${samples.length}`);
  for (const c of clients) c.client.end();

  // Claims: every device not sampled, by the owner over HTTP.
  const rest = devices.filter((_, i) => !sampled.has(i));
  const claimLatencies = new Float64Array(rest.length);
  const claimFailures: Record<string, number> = {};
  let claimed = 0;
  const httpClaimer = claimer(server.url, ownerKey, opts.claimConcurrency);
  let nextClaim = 0;
  const claims = await measured(pid, async () => Promise.all(Array.from({ length: opts.claimConcurrency }, async () => {
    for (let i = nextClaim++; i < rest.length; i = nextClaim++) {
      const started = performance.now();
      const outcome = await httpClaimer.claim(rest[i] as BenchDevice);
      claimLatencies[i] = performance.now() - started;
      if (outcome === 'SUCCESS') claimed++;
      else claimFailures[outcome] = (claimFailures[outcome] ?? 0) + 1;
    }
  })));
  httpClaimer.close();
  log(`  claims: ${fmt(rest.length / claims.seconds, 0)}/s, ${claimed} SUCCESS of ${rest.length}`);

  const code = await server.child.stop();
  if (code !== 0) log(`deed on ${target} exited with ${code}:\n${server.child.stderr().slice(-4000)}`);
  const problems = server.child.stderr().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  if (problems.length > 0) log(`deed on ${target} logged ${problems.length} warnings/errors, e.g.:\n  ${problems.slice(0, 3).join('\n  ')}`);
  await database?.drop();

  const sampleFailures: Record<string, number> = {};
  for (const s of samples) if (s.outcome !== 'SUCCESS') sampleFailures[s.outcome] = (sampleFailures[s.outcome] ?? 0) + 1;
  return {
    target, devices: devices.length, connectSeconds: connect.seconds,
    windows: { ok, failures: windowFailures, seconds: windows.seconds, perSecond: windowsPerSecond, latencyMs: latency(windowLatencies), cpu: windows.cpu },
    sampleClaims: {
      tried: samples.length, success: samples.filter((s) => s.outcome === 'SUCCESS').length, failures: sampleFailures,
      publishToClaimedMs: latency(Float64Array.from(samples.map((s) => s.ms))),
    },
    claims: {
      tried: rest.length, success: claimed, failures: claimFailures, seconds: claims.seconds, perSecond: rest.length / claims.seconds,
      latencyMs: latency(claimLatencies), cpu: claims.cpu,
    },
  };
}

function report(results: readonly WindowResult[], opts: Options): void {
  const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(0)} %`);
  const rows: string[][] = [['target', 'windows/s', 'p50 ms', 'p99 ms', 'max ms', 'OK %', 'server CPU', 'µs CPU/window', 'load CPU', 'sample claims', 'claims/s', 'claim p50', 'claim p99', 'SUCCESS %']];
  for (const r of results) {
    rows.push([
      r.target, fmt(r.windows.perSecond, 0), fmt(r.windows.latencyMs.p50, 1), fmt(r.windows.latencyMs.p99, 1), fmt(r.windows.latencyMs.max, 0),
      fmt((100 * r.windows.ok) / r.devices, 2), pct(r.windows.cpu.server),
      r.windows.cpu.server === null ? '-' : fmt((r.windows.cpu.server / 100) * 1e6 / r.windows.perSecond, 0), pct(r.windows.cpu.load),
      `${r.sampleClaims.success}/${r.sampleClaims.tried}`, fmt(r.claims.perSecond, 0), fmt(r.claims.latencyMs.p50, 1), fmt(r.claims.latencyMs.p99, 1),
      fmt((100 * r.claims.success) / r.claims.tried, 2),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = ['', `Window benchmark: ${opts.devices} devices, each on its own MQTT connection, publish one window to ${CLAIM_TOPIC} (QoS 1), `
    + `${opts.inflight} awaiting their response at once; latency = PUBLISH to response (window stored, claimable); every ${opts.sampleEvery}th device `
    + `claimed over HTTP right after its response; then the others claimed over HTTP (API key, ${opts.claimConcurrency} in flight)`,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, load average before the run ${LOAD_BEFORE}`, ''];
  const [header, ...body] = rows;
  if (header !== undefined) out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) out.push(line(row));
  for (const r of results) {
    out.push(`${r.target}: connect + subscribe ${fmt(r.devices / r.connectSeconds, 0)} connections/s; PUBLISH to claimed over HTTP (sampled) `
      + `p50 ${fmt(r.sampleClaims.publishToClaimedMs.p50, 1)} ms, p99 ${fmt(r.sampleClaims.publishToClaimedMs.p99, 1)} ms; claims: server CPU ${pct(r.claims.cpu.server)}, load ${pct(r.claims.cpu.load)}`);
  }
  out.push('(CPU: 100 % = one core. µs CPU/window is the server\'s CPU time per window: 1,000,000 / it is what one busy core would do.)');
  const sqlite = results.find((r) => r.target === 'sqlite');
  if (sqlite !== undefined) {
    const ratio = sqlite.windows.perSecond / TARGET_WINDOWS_PER_SECOND;
    out.push('', `Target (SQLite): ≥ ${TARGET_WINDOWS_PER_SECOND} windows/s — ${ratio >= 1 ? 'MET' : 'NOT MET'}: ${sqlite.windows.perSecond.toFixed(0)} windows/s = ${ratio.toFixed(2)} × the target.`);
  }
  for (const r of results) {
    if (r.windows.ok < r.devices) out.push(`WARNING: ${r.devices - r.windows.ok} ${r.target} windows not OK: ${JSON.stringify(r.windows.failures)}`);
    if (r.sampleClaims.success < r.sampleClaims.tried) out.push(`WARNING: ${r.target} sampled claims failed: ${JSON.stringify(r.sampleClaims.failures)}`);
    if (r.claims.success < r.claims.tried) out.push(`WARNING: ${r.claims.tried - r.claims.success} ${r.target} claims not SUCCESS: ${JSON.stringify(r.claims.failures)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const opts = options();
  const work = mkdtempSync(join(tmpdir(), 'deed-bench-windows-'));
  atCleanUp(() => rmSync(work, { recursive: true, force: true }));
  const cores = cpus();
  log(`Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
  log(`Load average before the run: ${LOAD_BEFORE}`);
  const results: WindowResult[] = [];
  for (const target of opts.targets) results.push(await runTarget(target, opts, work));
  report(results, opts);
  if (opts.jsonFile !== null) {
    writeFileSync(opts.jsonFile, `${JSON.stringify({ machine: { cores: cores.length, model: cores[0]?.model.trim(), node: process.version, loadBefore: LOAD_BEFORE }, options: opts, results }, null, 2)}\n`);
    log(`Results written to ${opts.jsonFile}`);
  }
}

runBenchmark('bench:windows', main);
