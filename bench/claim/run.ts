/**
 * `npm run bench:claim`: claims per second through The Things Join Server claim API
 * (`PUT /api/v2/devices/{devEUI}/claim`, bearer-token claim client, keep-alive HTTP, 32 in flight)
 * on SQLite and on PostgreSQL, with p50/p99 latency, against the target of 2,000 claims/s on
 * SQLite. Every claim takes a distinct claimable device, imported first by a maker with
 * `deed import -f csv` (known owner tokens); claims send `lock: true` and
 * `regenerateOwnerToken: false`, as The Things Stack does. The server runs with
 * `DEED_WORKERS=<--workers>` (default: one worker process per CPU). See docs/performance.md.
 *
 *   node dist/bench/claim/run.js [--claims 20000] [--warmup 2000] [--concurrency 32] [--targets sqlite,postgres] [--workers auto|N]
 *     [--pg-admin-url postgres://postgres@127.0.0.1:5432/postgres] [--deed <dist/src/cli/main.js>]
 *     [--cpu-prof <dir>] [--json <file>]
 *
 * Exits 0 whether or not the target is met; non-zero only when something broke.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { atCleanUp, runBenchmark, UsageError } from '../join/benchmark-run.js';
import { createPostgresDatabase } from '../join/postgres-database.js';
import { CLOCK_TICKS, machineCpuTicks, percentile, processTreeCpuTicks } from '../join/common.js';
import { RawConnection } from '../join/raw-http.js';
import {
  makeClaimableDevices, prepareClaims, startDeed, HOME_NET_ID, type ClaimableDevice, type DeedTarget,
} from './setup.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BUILT_DEED_MAIN = resolve(HERE, '../../src/cli/main.js');
const TARGET_CLAIMS_PER_SECOND = 2000;
const REQUEST_TIMEOUT_MS = 10_000;

type Target = 'sqlite' | 'postgres';

interface Options {
  readonly claims: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly targets: readonly Target[];
  /** Server processes: `deed serve` runs with `DEED_WORKERS` set to this. */
  readonly workers: number;
  readonly pgAdminUrl: string;
  readonly deedMain: string;
  readonly cpuProfDir: string | null;
  readonly jsonFile: string | null;
}

const HELP = `npm run bench:claim [-- flags]   (or: node dist/bench/claim/run.js [flags])

  --claims N           measured claims, each of a distinct device (default 20000; BENCH_CLAIMS)
  --warmup N           claims before measuring, of further devices (default 2000; BENCH_WARMUP)
  --concurrency N      claims in flight over as many keep-alive connections (default 32; BENCH_CONCURRENCY)
  --targets LIST       sqlite, postgres or both (default both; BENCH_TARGETS)
  --workers auto|N     server worker processes, deed serve's DEED_WORKERS (default auto = one per CPU;
                       1 = a single process; BENCH_WORKERS)
  --pg-admin-url URL   PostgreSQL to create a temporary database in
                       (default postgres://postgres@127.0.0.1:5432/postgres; BENCH_PG_ADMIN_URL)
  --deed PATH          the deed CLI to benchmark (default: this build's dist/src/cli/main.js; BENCH_DEED)
  --cpu-prof DIR       run the Deed servers under node --cpu-prof during the claims, profiles in DIR
  --json FILE          also write the results as JSON to FILE
`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      claims: { type: 'string' }, warmup: { type: 'string' }, concurrency: { type: 'string' }, targets: { type: 'string' }, workers: { type: 'string' },
      'pg-admin-url': { type: 'string' }, deed: { type: 'string' }, 'cpu-prof': { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const targets = (values.targets ?? env['BENCH_TARGETS'] ?? 'sqlite,postgres').split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of targets) if (t !== 'sqlite' && t !== 'postgres') throw new UsageError(`unknown target ${t}: expected sqlite or postgres`);
  const cpuProf = values['cpu-prof'] ?? env['BENCH_CPU_PROF'];
  const json = values.json ?? env['BENCH_JSON'];
  const workers = values.workers ?? env['BENCH_WORKERS'] ?? 'auto';
  return {
    claims: int('--claims', values.claims ?? env['BENCH_CLAIMS'], 20_000, 100, 1_000_000),
    warmup: int('--warmup', values.warmup ?? env['BENCH_WARMUP'], 2000, 0, 100_000),
    concurrency: int('--concurrency', values.concurrency ?? env['BENCH_CONCURRENCY'], 32, 1, 1024),
    targets: targets as Target[],
    workers: workers === 'auto' ? cpus().length : int('--workers', workers, 1, 1, 64),
    pgAdminUrl: values['pg-admin-url'] ?? env['BENCH_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    deedMain: resolve(values.deed ?? env['BENCH_DEED'] ?? BUILT_DEED_MAIN),
    cpuProfDir: cpuProf === undefined || cpuProf === '' ? null : resolve(cpuProf),
    jsonFile: json === undefined || json === '' ? null : resolve(json),
  };
}

const LOAD_BEFORE = loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** What one target measured. */
interface ClaimResult {
  readonly target: Target;
  readonly claims: number;
  readonly created: number;
  /** Answers other than 201, by `status message` or transport error. */
  readonly failures: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly claimsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly connectionsOpened: number;
  /**
   * CPU over the measured claims, 100 = one core: the server (primary and workers, and their kernel
   * part), this process, and the whole machine.
   */
  readonly cpu: { readonly server: number | null; readonly serverSystem: number | null; readonly load: number; readonly machineBusy: number | null };
  readonly setupSeconds: number;
}

async function main(): Promise<void> {
  const opts = options();
  const work = mkdtempSync(join(tmpdir(), 'deed-bench-claim-'));
  atCleanUp(() => rmSync(work, { recursive: true, force: true }));
  const cores = cpus();
  log(`Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
  log(`Load average before the run: ${LOAD_BEFORE}`);
  log(`Server processes: ${opts.workers} (deed serve with DEED_WORKERS=${opts.workers})`);
  log(`Load: ${opts.concurrency} claims in flight over keep-alive HTTP, ${opts.warmup} warm-up + ${opts.claims} measured claims per target, each of its own device`);

  const results: (ClaimResult | { target: Target; skipped: string })[] = [];
  for (const target of opts.targets) {
    let database: { url: string; drop: () => Promise<void> } | null = null;
    if (target === 'postgres') {
      const created = await createPostgresDatabase(opts.pgAdminUrl, log);
      if (typeof created === 'string') {
        log(`PostgreSQL: skipped (${created})`);
        results.push({ target, skipped: created });
        continue;
      }
      database = created;
      atCleanUp(created.drop);
    }
    const dataDir = join(work, `data-${target}`);
    mkdirSync(dataDir, { recursive: true });
    results.push(await runTarget(target, { label: target, dataDir, databaseUrl: database?.url ?? null }, opts, work));
    await database?.drop();
  }
  report(results, opts);
  if (opts.jsonFile !== null) {
    writeFileSync(opts.jsonFile, `${JSON.stringify({
      machine: { cores: cores.length, model: cores[0]?.model.trim(), node: process.version, kernel: release(), loadBefore: LOAD_BEFORE },
      options: opts, results,
    }, null, 2)}\n`);
    log(`Results written to ${opts.jsonFile}`);
  }
}

async function runTarget(target: Target, deed: DeedTarget, opts: Options, work: string): Promise<ClaimResult> {
  log(`\n== Deed on ${target === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ==`);
  const adminPassword = randomBytes(16).toString('hex');
  const devices = makeClaimableDevices(opts.warmup + opts.claims);
  let server = await startDeed(opts.deedMain, deed, adminPassword, opts.workers, []);
  const setupStarted = performance.now();
  const token = await prepareClaims(opts.deedMain, server.url, adminPassword, devices, work, log);
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  if (opts.cpuProfDir !== null) {
    // Profile only the claims: restart on the same data under --cpu-prof.
    await server.child.stop();
    mkdirSync(opts.cpuProfDir, { recursive: true });
    // Workers inherit the options: each writes its own profile (named by pid) into the directory.
    server = await startDeed(opts.deedMain, deed, adminPassword, opts.workers, [
      '--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir, ...(opts.workers > 1 ? [] : ['--cpu-prof-name', `deed-claim-${target}.cpuprofile`]),
    ]);
  }
  const result: ClaimResult = { ...await claimLoad(target, server.url, token, server.child.process.pid ?? null, devices, opts), setupSeconds };
  const code = await server.child.stop();
  if (code !== 0) log(`deed on ${target} exited with ${code}:\n${server.child.stderr().slice(-4000)}`);
  const problems = server.child.stderr().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  if (problems.length > 0) log(`deed on ${target} logged ${problems.length} warnings/errors, e.g.:\n  ${problems.slice(0, 3).join('\n  ')}`);
  if (opts.cpuProfDir !== null) {
    log(`CPU profile: ${opts.workers > 1 ? `${opts.cpuProfDir}/CPU.*.cpuprofile (primary and workers)` : join(opts.cpuProfDir, `deed-claim-${target}.cpuprofile`)}`);
  }
  return result;
}

/** Claims every device once, `concurrency` at a time: the warm-up devices, then the measured ones. */
async function claimLoad(
  target: Target, url: string, token: string, serverPid: number | null, devices: readonly ClaimableDevice[], opts: Options,
): Promise<Omit<ClaimResult, 'setupSeconds'>> {
  let connectionsOpened = 0;
  const connections = Array.from({ length: opts.concurrency }, () =>
    new RawConnection(new URL(url), { authorization: `Bearer ${token}` }, REQUEST_TIMEOUT_MS, () => { connectionsOpened++; }));
  const failures: Record<string, number> = {};
  const samples: string[] = [];
  const latencies = new Float64Array(opts.claims);
  let created = 0;
  const body = (d: ClaimableDevice) =>
    `{"ownerToken":"${d.ownerToken}","homeNetID":"${HOME_NET_ID}","asID":"","lock":true,"regenerateOwnerToken":false}`;

  const phase = async (from: number, to: number, measured: boolean): Promise<void> => {
    let next = from;
    await Promise.all(connections.map(async (connection) => {
      for (let i = next++; i < to; i = next++) {
        const device = devices[i];
        if (device === undefined) break;
        const started = performance.now();
        const answer = await connection.request('PUT', `/api/v2/devices/${device.devEui}/claim`, body(device));
        const ms = performance.now() - started;
        if (!measured) continue;
        latencies[i - from] = ms;
        if (!(answer instanceof Error) && answer.status === 201) {
          created++;
        } else {
          const key = answer instanceof Error ? answer.message : `${answer.status} ${answer.text.slice(0, 80)}`;
          failures[key] = (failures[key] ?? 0) + 1;
          if (samples.length < 3) samples.push(`${device.devEui}: ${key}`);
        }
      }
    }));
  };

  if (opts.warmup > 0) {
    log(`  warm-up: ${opts.warmup} claims`);
    await phase(0, opts.warmup, false);
  }
  log(`  measuring: ${opts.claims} claims`);
  const serverBefore = serverPid === null ? null : processTreeCpuTicks(serverPid);
  const machineBefore = machineCpuTicks();
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  await phase(opts.warmup, opts.warmup + opts.claims, true);
  const seconds = (performance.now() - started) / 1000;
  const loadCpu = process.cpuUsage(loadBefore);
  const serverAfter = serverPid === null ? null : processTreeCpuTicks(serverPid);
  const machineAfter = machineCpuTicks();
  for (const c of connections) c.close();

  const share = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
  const sorted = latencies.slice().sort();
  const result = {
    target, claims: opts.claims, created, failures, seconds,
    claimsPerSecond: opts.claims / seconds,
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN },
    connectionsOpened,
    cpu: {
      server: serverBefore === null || serverAfter === null ? null : share(serverAfter.user + serverAfter.system - serverBefore.user - serverBefore.system),
      serverSystem: serverBefore === null || serverAfter === null ? null : share(serverAfter.system - serverBefore.system),
      load: ((loadCpu.user + loadCpu.system) / 1e6 / seconds) * 100,
      machineBusy: machineBefore === null || machineAfter === null || machineAfter.total <= machineBefore.total ? null
        : ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100 * cpus().length,
    },
  };
  log(`  ${target}: ${fmt(result.claimsPerSecond, 0)} claims/s, p50 ${fmt(result.latencyMs.p50, 2)} ms, p99 ${fmt(result.latencyMs.p99, 2)} ms, `
    + `${opts.claims - created} not 201, ${connectionsOpened} connections`);
  if (created < opts.claims) log(`  failures: ${JSON.stringify(failures)}\n  e.g. ${samples.join('\n       ')}`);
  return result;
}

function report(results: readonly (ClaimResult | { target: Target; skipped: string })[], opts: Options): void {
  const names: Record<Target, string> = { sqlite: 'Deed, SQLite', postgres: 'Deed, PostgreSQL' };
  const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(0)} %`);
  const rows: string[][] = [['target', 'claims/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '201 %', 'server CPU', '(kernel)', 'µs CPU/claim', 'load CPU', 'other CPU']];
  for (const r of results) {
    if ('skipped' in r) {
      rows.push([names[r.target], `skipped: ${r.skipped}`.slice(0, 120)]);
      continue;
    }
    rows.push([
      names[r.target], fmt(r.claimsPerSecond, 0), fmt(r.latencyMs.p50, 2), fmt(r.latencyMs.p90, 2), fmt(r.latencyMs.p99, 2), fmt(r.latencyMs.max, 1),
      fmt((100 * r.created) / r.claims, 2), pct(r.cpu.server), pct(r.cpu.serverSystem),
      r.cpu.server === null ? '-' : fmt((r.cpu.server / 100) * 1e6 / r.claimsPerSecond, 0),
      pct(r.cpu.load),
      r.cpu.machineBusy === null || r.cpu.server === null ? '-' : pct(Math.max(0, r.cpu.machineBusy - r.cpu.server - r.cpu.load)),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = ['', `Claim benchmark: PUT /api/v2/devices/{devEUI}/claim (TTJS claim API, bearer-token claim client), ${opts.concurrency} in flight, `
    + `${opts.claims} measured claims after ${opts.warmup} warm-up, each of a distinct device (lock: true, regenerateOwnerToken: false)`,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, load average before the run ${LOAD_BEFORE}`,
  `Server processes: ${opts.workers} (deed serve with DEED_WORKERS=${opts.workers}${opts.workers > 1 ? ': a primary and worker processes sharing the port' : ''})`, ''];
  const [header, ...body] = rows;
  if (header !== undefined) out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) out.push(row.length === 2 ? `${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${row[1] ?? ''}` : line(row));
  out.push(`(CPU over the measured claims, 100 % = one core of ${cpus().length}: the server processes (primary and workers; of which in the kernel), this load process, `
    + 'and every other process (PostgreSQL backends included).)');
  const sqlite = results.find((r): r is ClaimResult => r.target === 'sqlite' && !('skipped' in r));
  if (sqlite !== undefined) {
    const ratio = sqlite.claimsPerSecond / TARGET_CLAIMS_PER_SECOND;
    out.push('', `Target (SQLite, ${opts.concurrency} in flight): ≥ ${TARGET_CLAIMS_PER_SECOND} claims/s — ${ratio >= 1 ? 'MET' : 'NOT MET'}: `
      + `${sqlite.claimsPerSecond.toFixed(0)} claims/s = ${ratio.toFixed(2)} × the target.`);
    if (opts.concurrency !== 32) out.push(`(The target is defined at 32 in flight; this run used ${opts.concurrency}.)`);
  }
  for (const r of results) {
    if (!('skipped' in r) && r.created < r.claims) out.push(`WARNING: ${r.claims - r.created} of ${r.claims} ${r.target} claims were not 201: ${JSON.stringify(r.failures)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

runBenchmark('bench:claim', main);
