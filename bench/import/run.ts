/**
 * `npm run bench:import`: end-to-end import throughput and server memory of `deed import -f
 * microchip-atecc608` (a real CLI streaming a real manifest to a real server), against the ECDSA
 * P-256 verification ceiling of this machine measured in the same run. See docs/performance.md.
 *
 *   node dist/bench/import/run.js [--entries 10000] [--database sqlite|postgres] [--generation B|C|mixed]
 *     [--pg-admin-url postgres://postgres@127.0.0.1:5432/postgres] [--ceiling-seconds 2]
 *     [--deed <dist/src/cli/main.js>] [--cpu-prof <dir>] [--json <file>]
 *
 * Every flag has an environment variable too (BENCH_ENTRIES, BENCH_DATABASE, BENCH_GENERATION,
 * BENCH_PG_ADMIN_URL, BENCH_CEILING_SECONDS, BENCH_DEED, BENCH_CPU_PROF, BENCH_JSON). Exits 0
 * whether or not the targets are met; non-zero only when something broke.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildManifest, createTestSigner, type TestGeneration } from '../../test/fixtures/microchip-test-signer.js';
import { atCleanUp, runBenchmark, UsageError } from '../join/benchmark-run.js';
import { createPostgresDatabase } from '../join/postgres-database.js';
import {
  CLOCK_TICKS, createHttpClient, freePort, machineCpuTicks, processCpuTicks, spawnNode, waitForStderr,
  type OwnedChild,
} from '../join/common.js';
import { measureEcdsaCeiling, type EcdsaCeiling } from './ecdsa-ceiling.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BUILT_DEED_MAIN = resolve(HERE, '../../src/cli/main.js');

/** Entries/s ÷ ECDSA verifications/s (all cores) the import should reach. */
const TARGET_RATIO = 0.5;
/** ECDSA verifications per manifest entry: the JWS (Log Signer) and the device certificate (x5c[1]). */
const VERIFIES_PER_ENTRY = 2;
/** Peak server memory allowed for a 100,000-entry import. */
const MEMORY_LIMIT_MB = 300;
const MEMORY_TARGET_ENTRIES = 100_000;
const SAMPLE_MS = 50;

interface Options {
  readonly entries: number;
  readonly database: 'sqlite' | 'postgres';
  readonly generation: TestGeneration | 'mixed';
  readonly pgAdminUrl: string;
  readonly ceilingMs: number;
  readonly deedMain: string;
  readonly cpuProfDir: string | null;
  readonly jsonFile: string | null;
}

const HELP = `npm run bench:import [-- flags]   (or: node dist/bench/import/run.js [flags])

  --entries N            manifest entries (default 10000; 100000 for the memory target; BENCH_ENTRIES)
  --database D           sqlite (default) or postgres (BENCH_DATABASE)
  --generation G         device certificates: B (default), C or mixed (BENCH_GENERATION)
  --pg-admin-url URL     PostgreSQL to create a fresh database in, dropped afterwards
                         (default postgres://postgres@127.0.0.1:5432/postgres; BENCH_PG_ADMIN_URL)
  --ceiling-seconds S    how long each ECDSA ceiling thread verifies (default 2; BENCH_CEILING_SECONDS)
  --deed PATH            the deed CLI to benchmark, e.g. another build's dist/src/cli/main.js
                         (default: this build's; BENCH_DEED)
  --cpu-prof DIR         run the server under node --cpu-prof, profile in DIR (BENCH_CPU_PROF)
  --json FILE            also write the results as JSON to FILE (BENCH_JSON)
`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      entries: { type: 'string' }, database: { type: 'string' }, generation: { type: 'string' }, 'pg-admin-url': { type: 'string' },
      'ceiling-seconds': { type: 'string' }, deed: { type: 'string' }, 'cpu-prof': { type: 'string' }, json: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
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
  const database = values.database ?? env['BENCH_DATABASE'] ?? 'sqlite';
  if (database !== 'sqlite' && database !== 'postgres') throw new UsageError('--database must be sqlite or postgres');
  const generation = values.generation ?? env['BENCH_GENERATION'] ?? 'B';
  if (generation !== 'B' && generation !== 'C' && generation !== 'mixed') throw new UsageError('--generation must be B, C or mixed');
  const cpuProf = values['cpu-prof'] ?? env['BENCH_CPU_PROF'];
  const json = values.json ?? env['BENCH_JSON'];
  return {
    entries: Math.floor(num('--entries', values.entries ?? env['BENCH_ENTRIES'], 10_000, 1, 10_000_000)),
    database,
    generation,
    pgAdminUrl: values['pg-admin-url'] ?? env['BENCH_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    ceilingMs: num('--ceiling-seconds', values['ceiling-seconds'] ?? env['BENCH_CEILING_SECONDS'], 2, 0.2, 60) * 1000,
    deedMain: resolve(values.deed ?? env['BENCH_DEED'] ?? BUILT_DEED_MAIN),
    cpuProfDir: cpuProf === undefined || cpuProf === '' ? null : resolve(cpuProf),
    jsonFile: json === undefined || json === '' ? null : resolve(json),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');
const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Resident memory of a process in MiB, from /proc: now (VmRSS) and its peak so far (VmHWM); and its threads. */
function processStatus(pid: number): { rss: number; hwm: number; threads: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: field('VmRSS') / 1024, hwm: field('VmHWM') / 1024, threads: field('Threads') };
  } catch {
    return null;
  }
}

/** MiB as MB (10^6 bytes): the memory target is in MB. */
const toMB = (mib: number) => (mib * 2 ** 20) / 1e6;

/** What one import run measured. */
interface ImportRun {
  readonly wallSeconds: number;
  readonly entriesPerSecond: number;
  readonly imported: number;
  readonly failed: number;
  /** Server memory, MiB: VmHWM at the end, the highest VmRSS sampled during the import, and before it. */
  readonly serverMemoryMiB: { readonly peak: number; readonly sampledPeak: number; readonly beforeImport: number };
  /** Server threads when idle and at most during the import (verifier threads show here). */
  readonly serverThreads: { readonly idle: number; readonly peak: number };
  /** CPU over the import, 100 % = one core. */
  readonly cpu: { readonly server: number | null; readonly serverSystem: number | null; readonly cli: number | null; readonly machineBusy: number | null };
  /** Server CPU time per entry, µs. */
  readonly serverMicrosPerEntry: number | null;
}

async function main(): Promise<void> {
  const opts = options();
  const work = mkdtempSync(join(tmpdir(), 'deed-bench-import-'));
  atCleanUp(() => rmSync(work, { recursive: true, force: true }));
  const cores = cpus();
  const loadBefore = loadAverage();
  log(`Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
  log(`Load average before the run: ${loadBefore}`);

  log(`\n== ECDSA P-256 verification ceiling: ${cores.length} threads × ${opts.ceilingMs / 1000} s ==`);
  const ceilingBefore = await measureEcdsaCeiling({ durationMs: opts.ceilingMs });
  log(`  ${fmt(ceilingBefore.verifiesPerSecond)} verifies/s (${ceilingBefore.perThread.map((r) => fmt(r)).join(' + ')})`);

  log(`\n== Manifest: ${fmt(opts.entries)} entries, ${opts.generation} generation, signed by a test Log Signer ==`);
  const signer = createTestSigner('Deed Bench Log Signer');
  const signerFile = join(work, 'bench-signer.pem');
  writeFileSync(signerFile, signer.pem);
  const manifest = await buildManifest({ count: opts.entries, generation: opts.generation, signer, pretty: true, path: join(work, 'manifest.json') });
  log(`  ${(manifest.bytes / 2 ** 20).toFixed(1)} MiB written in ${(manifest.elapsedMs / 1000).toFixed(1)} s`);

  let databaseUrl: string | null = null;
  if (opts.database === 'postgres') {
    const created = await createPostgresDatabase(opts.pgAdminUrl, log);
    if (typeof created === 'string') throw new Error(`PostgreSQL: ${created}`);
    atCleanUp(created.drop);
    databaseUrl = created.url;
  }

  log(`\n== Import on ${opts.database === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ==`);
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const adminPassword = randomBytes(16).toString('hex');
  const server = await startServer(opts, dataDir, databaseUrl, signerFile, adminPassword);
  const maker = { username: 'bench-maker', password: randomBytes(16).toString('hex') };
  await createProvisioner(server.url, adminPassword, maker);
  const run = await importManifest(opts, server, manifest.path, maker, work);
  const code = await server.child.stop();
  if (code !== 0) log(`deed serve exited with ${code}:\n${server.child.stderr().slice(-4000)}`);
  const problems = server.child.stderr().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  if (problems.length > 0) log(`deed serve logged ${problems.length} warnings/errors, e.g.:\n  ${problems.slice(0, 3).join('\n  ')}`);
  if (opts.cpuProfDir !== null) log(`CPU profile in ${opts.cpuProfDir}`);

  log(`\n== ECDSA P-256 verification ceiling again ==`);
  const ceilingAfter = await measureEcdsaCeiling({ durationMs: opts.ceilingMs });
  log(`  ${fmt(ceilingAfter.verifiesPerSecond)} verifies/s (${ceilingAfter.perThread.map((r) => fmt(r)).join(' + ')})`);

  const result = { opts, manifestBytes: manifest.bytes, loadBefore, loadAfter: loadAverage(), ceilingBefore, ceilingAfter, run };
  report(result);
  if (opts.jsonFile !== null) {
    writeFileSync(opts.jsonFile, `${JSON.stringify({
      machine: { cores: cores.length, model: cores[0]?.model.trim(), node: process.version, kernel: release() }, ...result,
    }, null, 2)}\n`);
    log(`Results written to ${opts.jsonFile}`);
  }
}

async function startServer(
  opts: Options, dataDir: string, databaseUrl: string | null, signerFile: string, adminPassword: string,
): Promise<{ child: OwnedChild; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DEED_DATA_DIR: dataDir,
    DEED_HTTP_HOST: '127.0.0.1',
    DEED_HTTP_PORT: String(port),
    DEED_ADMIN_PASSWORD: adminPassword,
    DEED_LOG_LEVEL: 'warn',
    DEED_TRUSTED_SIGNERS: signerFile,
    ...(databaseUrl !== null ? { DEED_DATABASE_URL: databaseUrl } : {}),
  };
  if (opts.cpuProfDir !== null) mkdirSync(opts.cpuProfDir, { recursive: true });
  const nodeArgs = opts.cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir, '--cpu-prof-name', `deed-import-${opts.database}.cpuprofile`];
  const child = spawnNode('deed serve', [...nodeArgs, opts.deedMain, 'serve'], env, { echoStderr: false });
  await waitForStderr(child, /Deed is serving on/, 30_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

async function createProvisioner(url: string, adminPassword: string, account: { username: string; password: string }): Promise<void> {
  const client = createHttpClient(url, 1);
  try {
    const r = await client.request('POST', '/api/v1/accounts', { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` },
      JSON.stringify({ username: account.username, role: 'provisioner', password: account.password }));
    if (r.status !== 201) throw new Error(`POST /api/v1/accounts answered ${r.status}: ${r.text.slice(0, 500)}`);
  } finally {
    client.close();
  }
}

/** Runs `deed import -f microchip-atecc608 FILE` as the provisioner, sampling the server meanwhile. */
async function importManifest(
  opts: Options, server: { child: OwnedChild; url: string }, manifest: string, maker: { username: string; password: string }, work: string,
): Promise<ImportRun> {
  const serverPid = server.child.process.pid ?? 0;
  const idle = processStatus(serverPid);
  const beforeImport = idle?.rss ?? Number.NaN;
  let sampledPeak = beforeImport;
  let peakThreads = idle?.threads ?? Number.NaN;
  let cliTicks: { user: number; system: number } | null = null;
  let cliPid = 0;
  const sample = () => {
    const m = processStatus(serverPid);
    if (m !== null && m.rss > sampledPeak) sampledPeak = m.rss;
    if (m !== null && m.threads > peakThreads) peakThreads = m.threads;
    if (cliPid !== 0) cliTicks = processCpuTicks(cliPid) ?? cliTicks;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const serverBefore = processCpuTicks(serverPid);
  const machineBefore = machineCpuTicks();
  const started = performance.now();
  const cli = spawnNode('deed import', [opts.deedMain, 'import', '-f', 'microchip-atecc608', manifest], {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    XDG_CONFIG_HOME: join(work, 'cli-config'),
    DEED_URL: server.url,
    DEED_USERNAME: maker.username,
    DEED_PASSWORD: maker.password,
  }, { echoStderr: true });
  cliPid = cli.process.pid ?? 0;
  const code = await cli.exited;
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  sample();
  const serverAfter = processCpuTicks(serverPid);
  const machineAfter = machineCpuTicks();
  const peak = processStatus(serverPid)?.hwm ?? Number.NaN;

  if (code !== 0) throw new Error(`deed import exited with ${code}:\n${cli.stderr().slice(-4000)}`);
  const rows = JSON.parse(cli.stdout()) as { devEUI?: string; error?: string }[];
  const failed = rows.filter((r) => r.error !== undefined).length;
  const imported = rows.length - failed;
  if (rows.length !== opts.entries || failed > 0) throw new Error(`expected ${opts.entries} imported entries, got ${imported} imported and ${failed} failed`);
  const summary = new RegExp(`imported ${opts.entries}, already there 0, failed 0`);
  if (!summary.test(cli.stderr())) throw new Error(`unexpected summary from deed import:\n${cli.stderr().slice(-2000)}`);

  const seconds = wallSeconds;
  const share = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
  const serverCpu = serverBefore === null || serverAfter === null ? null : share(serverAfter.user + serverAfter.system - serverBefore.user - serverBefore.system);
  const serverSystem = serverBefore === null || serverAfter === null ? null : share(serverAfter.system - serverBefore.system);
  const finalCliTicks = cliTicks as { user: number; system: number } | null;
  const cliCpu = finalCliTicks === null ? null : share(finalCliTicks.user + finalCliTicks.system);
  const machineBusy = machineBefore === null || machineAfter === null || machineAfter.total <= machineBefore.total
    ? null : ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100 * cpus().length;
  return {
    wallSeconds,
    entriesPerSecond: opts.entries / wallSeconds,
    imported,
    failed,
    serverMemoryMiB: { peak, sampledPeak, beforeImport },
    serverThreads: { idle: idle?.threads ?? Number.NaN, peak: peakThreads },
    cpu: { server: serverCpu, serverSystem, cli: cliCpu, machineBusy },
    serverMicrosPerEntry: serverCpu === null ? null : ((serverCpu / 100) * wallSeconds * 1e6) / opts.entries,
  };
}

function report(r: {
  opts: Options; manifestBytes: number; loadBefore: string; loadAfter: string; ceilingBefore: EcdsaCeiling; ceilingAfter: EcdsaCeiling; run: ImportRun;
}): void {
  const { opts, run } = r;
  const ceiling = (r.ceilingBefore.verifiesPerSecond + r.ceilingAfter.verifiesPerSecond) / 2;
  const perThread = ceiling / r.ceilingBefore.threads;
  const entryBound = ceiling / VERIFIES_PER_ENTRY;
  const ratio = run.entriesPerSecond / ceiling;
  const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(0)} %`);
  const other = run.cpu.machineBusy === null || run.cpu.server === null || run.cpu.cli === null
    ? null : Math.max(0, run.cpu.machineBusy - run.cpu.server - run.cpu.cli);
  const peakMB = toMB(run.serverMemoryMiB.peak);
  const memoryRatio = peakMB / MEMORY_LIMIT_MB;
  const out = [
    '',
    `Import benchmark: deed import -f microchip-atecc608 of a ${fmt(opts.entries)}-entry TNGLORA manifest (${opts.generation} generation, `
      + `${(r.manifestBytes / 2 ** 20).toFixed(1)} MiB) as a provisioner, ${opts.database === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}; load average before ${r.loadBefore}, after ${r.loadAfter}`,
    '',
    `ECDSA P-256 verify ceiling (node:crypto, ${r.ceilingBefore.threads} threads): ${fmt(ceiling)} verifies/s `
      + `(${fmt(r.ceilingBefore.verifiesPerSecond)} before, ${fmt(r.ceilingAfter.verifiesPerSecond)} after the import; ${fmt(perThread)} per thread)`,
    `  each manifest entry needs ${VERIFIES_PER_ENTRY} verifications (the JWS by the Log Signer, the device certificate by x5c[1]): `
      + `at most ${fmt(entryBound)} entries/s on this machine`,
    `Import: ${fmt(opts.entries)} entries in ${run.wallSeconds.toFixed(2)} s wall (CLI start to exit) = ${fmt(run.entriesPerSecond)} entries/s, all imported`,
    `  entries/s ÷ verify ceiling: ${run.entriesPerSecond.toFixed(0)} ÷ ${ceiling.toFixed(0)} = ${ratio.toFixed(3)} — target ≥ ${TARGET_RATIO.toFixed(2)}: `
      + `${ratio >= TARGET_RATIO ? 'MET' : 'NOT MET'}`,
    `  entries/s ÷ entry bound (ceiling ÷ ${VERIFIES_PER_ENTRY}): ${(run.entriesPerSecond / entryBound).toFixed(3)}`,
    `Server: peak memory ${fmt(peakMB)} MB = ${fmt(run.serverMemoryMiB.peak)} MiB (VmHWM; highest VmRSS sampled during the import `
      + `${fmt(run.serverMemoryMiB.sampledPeak)} MiB, ${fmt(run.serverMemoryMiB.beforeImport)} MiB before it) = ${memoryRatio.toFixed(2)} of ${MEMORY_LIMIT_MB} MB`
      + `${opts.entries >= MEMORY_TARGET_ENTRIES ? ` — target (${fmt(MEMORY_TARGET_ENTRIES)} entries) < ${MEMORY_LIMIT_MB} MB: ${peakMB < MEMORY_LIMIT_MB ? 'MET' : 'NOT MET'}` : ` (the memory target is for ${fmt(MEMORY_TARGET_ENTRIES)} entries: --entries ${MEMORY_TARGET_ENTRIES})`}`,
    `Server threads: ${run.serverThreads.idle} idle, at most ${run.serverThreads.peak} during the import`,
    `CPU over the import (100 % = one core of ${cpus().length}): server ${pct(run.cpu.server)} (kernel ${pct(run.cpu.serverSystem)}), `
      + `${run.serverMicrosPerEntry === null ? '-' : fmt(run.serverMicrosPerEntry)} µs server CPU per entry; CLI ${pct(run.cpu.cli)}; other processes ${pct(other)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

runBenchmark('bench:import', main);
