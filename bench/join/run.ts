/**
 * `npm run bench:join`: BI JoinReq throughput and latency of Deed on SQLite and on PostgreSQL,
 * against the HTTP ceiling of Node on this machine (a bare Fastify server answering a JoinAns of
 * the same size). See docs/performance.md.
 *
 *   node dist/bench/join/run.js [--devices 10000] [--concurrency 64] [--warmup 2] [--duration 10]
 *     [--targets sqlite,postgres,ceiling] [--workers auto|N] [--client raw|http] [--pg-admin-url postgres://postgres@127.0.0.1:5432/postgres]
 *     [--deed <dist/src/cli/main.js>] [--rounds 1] [--cpu-prof <dir>] [--json <file>]
 *
 * Every flag has an environment variable too (BENCH_DEVICES, BENCH_CONCURRENCY, BENCH_WARMUP,
 * BENCH_DURATION, BENCH_TARGETS, BENCH_WORKERS, BENCH_CLIENT, BENCH_PG_ADMIN_URL, BENCH_DEED, BENCH_ROUNDS, BENCH_CPU_PROF, BENCH_JSON).
 * Exits 0 whether or not the target is met; non-zero only when something broke.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { atCleanUp, runBenchmark, UsageError } from './benchmark-run.js';
import { createPostgresDatabase } from './postgres-database.js';
import {
  createHttpClient, freePort, machineCpuTicks, percentile, spawnNode, waitForStderr,
  type LoadResult, type OwnedChild,
} from './common.js';
import { makeDevices, joinReqBody, prepareDevice, type BenchDevice } from './devices.js';
import type { LoadConfig } from './load.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BUILT_DEED_MAIN = resolve(HERE, '../../src/cli/main.js');
const LOAD_JS = join(HERE, 'load.js');
const CEILING_JS = join(HERE, 'ceiling-server.js');

const NET_ID = '000013';
const AS_ID = 'bench-as';
const TARGET_JOINS_PER_SECOND = 5000;
const AIM_JOINS_PER_SECOND = 10_000;
const TARGET_P99_MS = 20;
const SETUP_CONCURRENCY = 16;

type Target = 'sqlite' | 'postgres' | 'ceiling';

interface Options {
  readonly devices: number;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly targets: readonly Target[];
  /** Server processes of Deed (DEED_WORKERS) and of the ceiling server. */
  readonly workers: number;
  readonly pgAdminUrl: string;
  readonly cpuProfDir: string | null;
  readonly jsonFile: string | null;
  readonly client: 'raw' | 'http';
  /** The `deed` CLI entry to run (dist/src/cli/main.js of this build by default). */
  readonly deedMain: string;
  /** Extra Node options for the Deed servers (e.g. GC tuning), split on spaces. */
  readonly deedNodeOptions: readonly string[];
  /** How many times every target runs, the targets taking turns (a fresh server and database each time). */
  readonly rounds: number;
}

const FLAGS = {
  devices: { type: 'string' }, concurrency: { type: 'string' }, warmup: { type: 'string' }, duration: { type: 'string' },
  targets: { type: 'string' }, workers: { type: 'string' }, client: { type: 'string' }, deed: { type: 'string' },
  'deed-node-options': { type: 'string' }, 'pg-admin-url': { type: 'string' }, 'cpu-prof': { type: 'string' },
  json: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean' },
} as const;

function options(): Options {
  const { values } = parseArgs({ options: FLAGS, strict: true });
  if (values.help === true) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const num = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const targets = (values.targets ?? env['BENCH_TARGETS'] ?? 'sqlite,postgres,ceiling').split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of targets) if (t !== 'sqlite' && t !== 'postgres' && t !== 'ceiling') throw new UsageError(`unknown target ${t}`);
  const cpuProf = values['cpu-prof'] ?? env['BENCH_CPU_PROF'];
  const json = values.json ?? env['BENCH_JSON'];
  const client = values.client ?? env['BENCH_CLIENT'] ?? 'raw';
  if (client !== 'raw' && client !== 'http') throw new UsageError('--client must be raw or http');
  const workers = values.workers ?? env['BENCH_WORKERS'] ?? 'auto';
  const rounds = Math.floor(num('--rounds', values.rounds ?? env['BENCH_ROUNDS'], 1, 1, 100));
  if (rounds > 1 && cpuProf !== undefined && cpuProf !== '') throw new UsageError('--cpu-prof profiles one run: use it with --rounds 1');
  return {
    devices: Math.floor(num('--devices', values.devices ?? env['BENCH_DEVICES'], 10_000, 200, 1_000_000)),
    concurrency: Math.floor(num('--concurrency', values.concurrency ?? env['BENCH_CONCURRENCY'], 64, 1, 1024)),
    warmupMs: num('--warmup', values.warmup ?? env['BENCH_WARMUP'], 2, 0, 600) * 1000,
    durationMs: num('--duration', values.duration ?? env['BENCH_DURATION'], 10, 1, 600) * 1000,
    targets: targets as Target[],
    workers: workers === 'auto' ? cpus().length : Math.floor(num('--workers', workers, 1, 1, 64)),
    pgAdminUrl: values['pg-admin-url'] ?? env['BENCH_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    cpuProfDir: cpuProf === undefined || cpuProf === '' ? null : resolve(cpuProf),
    jsonFile: json === undefined || json === '' ? null : resolve(json),
    client,
    deedMain: resolve(values.deed ?? env['BENCH_DEED'] ?? BUILT_DEED_MAIN),
    deedNodeOptions: (values['deed-node-options'] ?? env['BENCH_DEED_NODE_OPTIONS'] ?? '').split(' ').filter((o) => o !== ''),
    rounds,
  };
}

const HELP = `npm run bench:join [-- flags]   (or: node dist/bench/join/run.js [flags])

  --devices N          devices registered and joined round-robin (default 10000; BENCH_DEVICES)
  --concurrency N      JoinReqs in flight (default 64; BENCH_CONCURRENCY)
  --warmup S           warm-up seconds before measuring (default 2; BENCH_WARMUP)
  --duration S         measured seconds (default 10; BENCH_DURATION)
  --targets LIST       any of sqlite,postgres,ceiling (default all three; BENCH_TARGETS)
  --workers auto|N     server processes: Deed's DEED_WORKERS, and as many ceiling processes
                       (default auto: one per CPU; BENCH_WORKERS)
  --client raw|http    load client: a lean keep-alive HTTP/1.1 client over node:net (raw, default)
                       or http.request with a keep-alive http.Agent (BENCH_CLIENT)
  --pg-admin-url URL   PostgreSQL to create a temporary database in
                       (default postgres://postgres@127.0.0.1:5432/postgres; BENCH_PG_ADMIN_URL)
  --deed PATH          the deed CLI to benchmark, e.g. another build's dist/src/cli/main.js
                       (default: this build's; BENCH_DEED)
  --deed-node-options=OPTS   Node options for the Deed servers, e.g. --deed-node-options=--max-semi-space-size=64
                       (BENCH_DEED_NODE_OPTIONS)
  --rounds N           run every target N times, taking turns (sqlite, postgres, ceiling, sqlite, …),
                       each with a fresh server and database, and summarize the spread: on a machine
                       whose speed drifts, one run says little (default 1; BENCH_ROUNDS)
  --cpu-prof DIR       run the Deed servers under node --cpu-prof during the load, profiles in DIR
  --json FILE          also write the results as JSON to FILE
`;

const LOAD_BEFORE = loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

interface DeedTarget {
  readonly label: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
}

interface RunOutcome {
  readonly target: Target;
  /** 1-based; the ceiling's ratio is taken against the ceiling of the same round. */
  readonly round: number;
  readonly result: LoadResult | null;
  readonly skipped?: string;
  readonly setupSeconds?: number;
}

async function main(): Promise<void> {
  const opts = options();
  const work = mkdtempSync(join(tmpdir(), 'deed-bench-'));
  atCleanUp(() => rmSync(work, { recursive: true, force: true }));

  const cores = cpus();
  log(`Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
  log(`Load average before the run: ${LOAD_BEFORE}`);
  log(`Server processes: ${opts.workers} (Deed with DEED_WORKERS=${opts.workers}; the ceiling server likewise)`);
  log(`Load: ${opts.concurrency} JoinReqs in flight over keep-alive HTTP (${opts.client} client), ${opts.devices} devices, ${opts.warmupMs / 1000} s warm-up + ${opts.durationMs / 1000} s measured per target${opts.rounds > 1 ? `, ${opts.rounds} rounds` : ''}`);

  const devices = makeDevices(opts.devices);
  const counts = { '1.0.3': 0, '1.0.4': 0, '1.1': 0 } as Record<string, number>;
  for (const d of devices) counts[d.macVersion] = (counts[d.macVersion] ?? 0) + 1;
  log(`Devices: ${Object.entries(counts).map(([v, n]) => `${n} × LoRaWAN ${v}`).join(', ')}`);
  const devicesFile = join(work, 'devices.json');
  writeFileSync(devicesFile, JSON.stringify(devices));
  // Two more devices, joined once outside the load to capture a real JoinAns of each shape.
  const probes = makeDevices(10, 'FFBE').filter((_, i) => i === 0 || i === 9); // 1.0.3 and 1.1

  const outcomes: RunOutcome[] = [];
  let templates: { v10: Record<string, unknown>; v11: Record<string, unknown> } | null = null;

  for (let round = 1; round <= opts.rounds; round++) {
    if (opts.rounds > 1) log(`\n=== Round ${round} of ${opts.rounds} ===`);
    for (const target of opts.targets) {
      if (target === 'ceiling') continue;
      let database: { url: string; drop: () => Promise<void> } | null = null;
      if (target === 'postgres') {
        const created = await createPostgresDatabase(opts.pgAdminUrl, log);
        if (typeof created === 'string') {
          log(`PostgreSQL: skipped (${created})`);
          outcomes.push({ target, round, result: null, skipped: created });
          continue;
        }
        database = created;
        atCleanUp(created.drop);
      }
      const dataDir = join(work, `data-${target}-${round}`);
      mkdirSync(dataDir, { recursive: true });
      const outcome = await runDeedTarget(target, { label: target, dataDir, databaseUrl: database?.url ?? null }, devices, devicesFile, probes, opts, work);
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      templates ??= outcome.templates;
      outcomes.push({ target, round, result: outcome.result, setupSeconds: outcome.setupSeconds });
    }

    if (opts.targets.includes('ceiling')) {
      templates ??= await probeTemplatesFromScratch(probes, opts, work);
      outcomes.push({ target: 'ceiling', round, result: await runCeiling(templates, devicesFile, opts, work) });
    }
  }

  report(outcomes, opts);
  if (opts.jsonFile !== null) {
    writeFileSync(opts.jsonFile, `${JSON.stringify({
      machine: { cores: cores.length, model: cores[0]?.model.trim(), node: process.version, kernel: release() },
      options: { ...opts }, outcomes,
    }, null, 2)}\n`);
    log(`Results written to ${opts.jsonFile}`);
  }
}

/** Starts `deed serve`; resolves once it listens. */
async function startDeed(target: DeedTarget, opts: Options, adminPassword: string, cpuProfDir: string | null, profileName: string): Promise<{ child: OwnedChild; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DEED_DATA_DIR: target.dataDir,
    DEED_HTTP_HOST: '127.0.0.1',
    DEED_HTTP_PORT: String(port),
    DEED_ADMIN_PASSWORD: adminPassword,
    DEED_LOG_LEVEL: 'warn',
    DEED_WORKERS: String(opts.workers),
    // The device listeners are not part of this benchmark (and their default ports may be taken).
    DEED_MQTT_PORT: '0',
    DEED_COAP_PORT: '0',
    ...(target.databaseUrl !== null ? { DEED_DATABASE_URL: target.databaseUrl } : {}),
  };
  const nodeArgs = [
    ...opts.deedNodeOptions,
    // Workers inherit these options: each writes its own profile (named by pid) into the directory.
    ...(cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, ...(opts.workers > 1 ? [] : ['--cpu-prof-name', `${profileName}.cpuprofile`])]),
  ];
  const child = spawnNode(`deed ${target.label}`, [...nodeArgs, opts.deedMain, 'serve'], env, { echoStderr: false });
  await waitForStderr(child, /Deed is serving on (http:\/\/\S+)/, 30_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

async function runDeedTarget(
  target: Target, deed: DeedTarget, devices: readonly BenchDevice[], devicesFile: string,
  probes: readonly BenchDevice[], opts: Options, work: string,
): Promise<{ result: LoadResult; templates: { v10: Record<string, unknown>; v11: Record<string, unknown> }; setupSeconds: number }> {
  const adminPassword = randomBytes(16).toString('hex');
  log(`\n== Deed on ${target === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ==`);
  let server = await startDeed(deed, opts, adminPassword, null, '');
  const setupStarted = performance.now();
  const token = await register(server.url, adminPassword, [...devices, ...probes]);
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  const templates = await probeJoins(server.url, token, probes);
  if (opts.cpuProfDir !== null) {
    // Profile only the load: restart on the same data under --cpu-prof.
    await server.child.stop();
    mkdirSync(opts.cpuProfDir, { recursive: true });
    server = await startDeed(deed, opts, adminPassword, opts.cpuProfDir, `deed-${target}`);
  }
  const result = await runLoad(target, server.url, token, server.child.process.pid ?? null, devicesFile, opts, work);
  const code = await server.child.stop();
  if (code !== 0) log(`deed on ${target} exited with ${code}:\n${server.child.stderr()}`);
  const problems = server.child.stderr().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  if (problems.length > 0) log(`deed on ${target} logged ${problems.length} warnings/errors, e.g.:\n  ${problems.slice(0, 3).join('\n  ')}`);
  if (opts.cpuProfDir !== null) log(`CPU profile: ${opts.workers > 1 ? `${opts.cpuProfDir}/CPU.*.cpuprofile (primary and workers)` : join(opts.cpuProfDir, `deed-${target}.cpuprofile`)}`);
  return { result, templates, setupSeconds };
}

/** Registers the NS and AS peers (each with a KEK) and the devices; returns the NS peer's bearer token. */
async function register(url: string, adminPassword: string, devices: readonly BenchDevice[]): Promise<string> {
  const client = createHttpClient(url, SETUP_CONCURRENCY);
  const headers = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
  const post = async (path: string, body: unknown) => {
    const r = await client.request('POST', path, headers, JSON.stringify(body));
    if (r.status !== 201) throw new Error(`POST ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
  };
  try {
    const token = `bench_${randomBytes(24).toString('base64url')}`;
    await post('/api/v1/peers', { netId: NET_ID, token, kekLabel: `ns-${NET_ID}`, kek: randomBytes(16).toString('hex') });
    await post('/api/v1/peers', { asId: AS_ID, kekLabel: AS_ID, kek: randomBytes(16).toString('hex') });
    let done = 0;
    let nextIndex = 0;
    const started = performance.now();
    const worker = async () => {
      for (let i = nextIndex++; i < devices.length; i = nextIndex++) {
        const d = devices[i];
        if (d === undefined) break;
        await post('/api/v1/devices', { ...d, homeNetId: NET_ID, asId: AS_ID });
        if (++done % 2000 === 0 || done === devices.length) {
          log(`  registered ${done}/${devices.length} devices (${(done / ((performance.now() - started) / 1000)).toFixed(0)}/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, worker));
    return token;
  } finally {
    client.close();
  }
}

const HEADER_FIELDS = new Set(['ProtocolVersion', 'TransactionID', 'MessageType', 'SenderID', 'ReceiverID', 'SenderNSID', 'ReceiverNSID', 'SenderToken', 'ReceiverToken', 'Result']);

/** One JoinReq per probe device; returns the fields of a real 1.0.x and 1.1 JoinAns (the ceiling's answers). */
async function probeJoins(url: string, token: string, probes: readonly BenchDevice[]): Promise<{ v10: Record<string, unknown>; v11: Record<string, unknown> }> {
  const client = createHttpClient(url, 1);
  try {
    const found: Record<string, Record<string, unknown>> = {};
    for (const [i, d] of probes.entries()) {
      const body = joinReqBody(prepareDevice(d, NET_ID, 0x00f00000 + i), 1 + i, 0);
      const r = await client.request('POST', '/api/bi', { authorization: `Bearer ${token}` }, body);
      const answer = JSON.parse(r.text) as Record<string, unknown>;
      const code = (answer['Result'] as { ResultCode?: string } | undefined)?.ResultCode;
      if (r.status !== 200 || code !== 'Success') throw new Error(`probe JoinReq for a ${d.macVersion} device failed: HTTP ${r.status} ${r.text.slice(0, 500)}`);
      found[d.macVersion === '1.1' ? 'v11' : 'v10'] = Object.fromEntries(Object.entries(answer).filter(([k]) => !HEADER_FIELDS.has(k)));
      log(`  a real JoinAns for a LoRaWAN ${d.macVersion} device: ${Buffer.byteLength(r.text)} bytes`);
    }
    const { v10, v11 } = found;
    if (v10 === undefined || v11 === undefined) throw new Error('probe devices must include a 1.0.x and a 1.1 device');
    return { v10, v11 };
  } finally {
    client.close();
  }
}

/** When no Deed target ran: a throwaway SQLite server, just to capture real JoinAns shapes. */
async function probeTemplatesFromScratch(
  probes: readonly BenchDevice[], opts: Options, work: string,
): Promise<{ v10: Record<string, unknown>; v11: Record<string, unknown> }> {
  const dataDir = join(work, 'data-probe');
  mkdirSync(dataDir, { recursive: true });
  const adminPassword = randomBytes(16).toString('hex');
  const server = await startDeed({ label: 'probe', dataDir, databaseUrl: null }, opts, adminPassword, null, '');
  try {
    const token = await register(server.url, adminPassword, probes);
    return await probeJoins(server.url, token, probes);
  } finally {
    await server.child.stop();
  }
}

async function runCeiling(
  templates: { v10: Record<string, unknown>; v11: Record<string, unknown> }, devicesFile: string, opts: Options, work: string,
): Promise<LoadResult> {
  log(`\n== HTTP ceiling: bare Fastify, same JSON in, same-size JoinAns out, ${opts.workers} process${opts.workers > 1 ? 'es' : ''} ==`);
  const child = spawnNode('ceiling', [CEILING_JS], {
    PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', BENCH_CEILING_TEMPLATES: JSON.stringify(templates),
    BENCH_CEILING_WORKERS: String(opts.workers),
  });
  const m = await waitForStderr(child, /ceiling listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  const url = m[1] ?? '';
  const result = await runLoad('ceiling', url, null, child.process.pid ?? null, devicesFile, opts, work);
  await child.stop();
  return result;
}

/** CPU other processes use right now (1 s sample), 100 % = one core; null without /proc. */
async function backgroundCpu(): Promise<number | null> {
  const a = machineCpuTicks();
  await new Promise((r) => setTimeout(r, 1000));
  const b = machineCpuTicks();
  return a === null || b === null || b.total <= a.total ? null : ((b.busy - a.busy) / (b.total - a.total)) * 100 * cpus().length;
}

/** Runs load.js against `url` in its own process and returns what it measured. */
async function runLoad(
  label: string, url: string, token: string | null, serverPid: number | null, devicesFile: string, opts: Options, work: string,
): Promise<LoadResult> {
  const config: LoadConfig = {
    label, url, token, devicesFile, serverPid, netId: NET_ID,
    client: opts.client, concurrency: opts.concurrency, warmupMs: opts.warmupMs, durationMs: opts.durationMs, requestTimeoutMs: 10_000,
  };
  const configFile = join(work, `load-${label}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const background = await backgroundCpu();
  if (background !== null) {
    log(`  background CPU (other processes, the idle server included) just before the load: ${background.toFixed(0)} % of one core`
      + `${background > 20 ? ' — the machine is not idle; figures will be lower than on a quiet machine' : ''}`);
  }
  log(`  load: ${opts.concurrency} in flight (${opts.client} client), ${opts.warmupMs / 1000} s warm-up, ${opts.durationMs / 1000} s measured`);
  const child = spawnNode(`load ${label}`, [LOAD_JS, configFile], { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' }, { echoStderr: true });
  const limitMs = opts.warmupMs + opts.durationMs + config.requestTimeoutMs + 60_000;
  const timer = setTimeout(() => { log(`load ${label} did not finish within ${limitMs / 1000} s; stopping it`); void child.stop(2000); }, limitMs);
  const code = await child.exited;
  clearTimeout(timer);
  const line = child.stdout().trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '') throw new Error(`load ${label} failed (exit ${code}):\n${child.stderr()}`);
  const result = JSON.parse(line) as LoadResult;
  const failed = result.completed - result.success;
  log(`  ${label}: ${fmt(result.requestsPerSecond, 0)} req/s, p50 ${fmt(result.latencyMs.p50, 2)} ms, p99 ${fmt(result.latencyMs.p99, 2)} ms, `
    + `${failed} not Success, ${result.connectionsOpened} connections`);
  if (failed > 0) log(`  failures: ${JSON.stringify(result.failures)}\n  e.g. ${result.failureSamples.join('\n       ')}`);
  return result;
}

const TARGET_ORDER: readonly Target[] = ['sqlite', 'postgres', 'ceiling'];

function report(outcomes: readonly RunOutcome[], opts: Options): void {
  const ceilingOf = (round: number) => outcomes.find((o) => o.target === 'ceiling' && o.round === round)?.result ?? null;
  const processes = opts.workers > 1 ? ` × ${opts.workers}` : '';
  const names: Record<Target, string> = {
    sqlite: `Deed, SQLite${processes}`, postgres: `Deed, PostgreSQL${processes}`, ceiling: `HTTP ceiling (bare Fastify${processes})`,
  };
  const rows: string[][] = [[
    'target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'success %', '÷ ceiling', 'server CPU', '(kernel)', 'µs CPU/req', 'load CPU', 'other CPU',
  ]];
  const ordered = [...outcomes].sort((a, b) => TARGET_ORDER.indexOf(a.target) - TARGET_ORDER.indexOf(b.target) || a.round - b.round);
  for (const o of ordered) {
    const r = o.result;
    const name = opts.rounds > 1 ? `${names[o.target]}, round ${o.round}` : names[o.target];
    if (r === null) {
      rows.push([name, `skipped: ${o.skipped ?? '?'}`.slice(0, 120)]);
      continue;
    }
    const ceiling = ceilingOf(o.round);
    const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(0)} %`);
    rows.push([
      name, fmt(r.requestsPerSecond, 0), fmt(r.latencyMs.p50, 2), fmt(r.latencyMs.p99, 2), fmt(r.latencyMs.max, 1),
      r.completed === 0 ? '-' : fmt((100 * r.success) / r.completed, 2),
      ceiling === null || o.target === 'ceiling' ? (o.target === 'ceiling' ? '1.00' : '-') : fmt(r.requestsPerSecond / ceiling.requestsPerSecond, 2),
      pct(r.cpu.server), pct(r.cpu.serverSystem),
      r.cpu.server === null || r.requestsPerSecond === 0 ? '-' : fmt((r.cpu.server / 100) * 1e6 / r.requestsPerSecond, 0),
      pct(r.cpu.load),
      r.cpu.machineBusy === null || r.cpu.server === null ? '-' : pct(Math.max(0, r.cpu.machineBusy - r.cpu.server - r.cpu.load)),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out: string[] = ['', `Join benchmark: ${opts.concurrency} concurrent JoinReqs (${opts.client} client), ${opts.devices} devices, ${opts.durationMs / 1000} s measured after ${opts.warmupMs / 1000} s warm-up`,
    `Server processes: ${opts.workers} (Deed: DEED_WORKERS=${opts.workers}; the ceiling: ${opts.workers} bare Fastify process${opts.workers > 1 ? 'es' : ''} sharing the port)`,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, load average before the run ${LOAD_BEFORE}`, ''];
  const [header, ...body] = rows;
  if (header !== undefined) {
    out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const row of body) out.push(row.length === 2 ? `${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${row[1] ?? ''}` : line(row));
  out.push(`(CPU over the measured window, 100 % = one core of ${cpus().length}: the server processes (primary and workers; of which in the kernel), the load process,`
    + ' and every other process (PostgreSQL backends included). µs CPU/req is the server\'s CPU time per answer.)');
  const sqliteRuns = outcomes.flatMap((o) => (o.target === 'sqlite' && o.result !== null ? [o.result] : []));
  const meets = (r: LoadResult) => r.requestsPerSecond >= TARGET_JOINS_PER_SECOND && r.latencyMs.p99 <= TARGET_P99_MS;
  const target = `Target (SQLite, ${opts.concurrency} in flight): ≥ ${TARGET_JOINS_PER_SECOND} joins/s with p99 ≤ ${TARGET_P99_MS} ms`;
  if (opts.rounds > 1) {
    out.push('', 'Over the rounds (median, and lowest – highest):');
    for (const t of TARGET_ORDER) {
      const runs = outcomes.flatMap((o) => (o.target === t && o.result !== null ? [o.result] : []));
      if (runs.length === 0) continue;
      const rates = Float64Array.from(runs, (r) => r.requestsPerSecond).sort();
      const p99s = Float64Array.from(runs, (r) => r.latencyMs.p99).sort();
      const spread = (v: Float64Array, digits: number) => `${fmt(percentile(v, 50), digits)} (${fmt(v[0] ?? Number.NaN, digits)} – ${fmt(v[v.length - 1] ?? Number.NaN, digits)})`;
      out.push(`  ${names[t]}: ${spread(rates, 0)} req/s, p99 ${spread(p99s, 2)} ms`);
    }
  }
  if (sqliteRuns.length === 1 && sqliteRuns[0] !== undefined) {
    const sqlite = sqliteRuns[0];
    const rate = sqlite.requestsPerSecond;
    const p99 = sqlite.latencyMs.p99;
    out.push('', `${target} — ${meets(sqlite) ? 'MET' : 'NOT MET'} (${rate.toFixed(0)} joins/s, p99 ${p99.toFixed(2)} ms); `
      + `aim ${AIM_JOINS_PER_SECOND} joins/s: ${rate >= AIM_JOINS_PER_SECOND ? 'reached' : 'not reached'}.`);
  } else if (sqliteRuns.length > 1) {
    const met = sqliteRuns.filter(meets).length;
    out.push('', `${target} — met in ${met} of ${sqliteRuns.length} rounds${met === sqliteRuns.length ? ' (MET in every round)' : ''}; `
      + `aim ${AIM_JOINS_PER_SECOND} joins/s reached in ${sqliteRuns.filter((r) => r.requestsPerSecond >= AIM_JOINS_PER_SECOND).length}.`);
  }
  if (sqliteRuns.length > 0) {
    if (opts.concurrency !== 64) out.push(`(The target is defined at 64 in flight; this run used ${opts.concurrency}.)`);
    const completed = sqliteRuns.reduce((n, r) => n + r.completed, 0);
    const successShare = completed === 0 ? 0 : sqliteRuns.reduce((n, r) => n + r.success, 0) / completed;
    out.push(`Success answers: ${(successShare * 100).toFixed(3)} % (required ≥ 99.9 %: ${successShare >= 0.999 ? 'yes' : 'NO'}).`);
  }
  for (const o of outcomes) {
    if (o.result !== null && o.target !== 'ceiling' && o.result.completed > 0 && o.result.success / o.result.completed < 0.999) {
      out.push(`WARNING: only ${((100 * o.result.success) / o.result.completed).toFixed(2)} % of ${o.target}${opts.rounds > 1 ? ` (round ${o.round})` : ''} answers were Success: ${JSON.stringify(o.result.failures)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

runBenchmark('bench:join', main);
