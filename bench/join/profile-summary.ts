/**
 * Summarizes a V8 .cpuprofile (from `npm run bench:join -- --cpu-prof DIR`): where the server's
 * CPU time went, by function (self and total time) and by source file / package.
 *
 *   node dist/bench/join/profile-summary.js <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: profile-summary.js <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? '30');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node: each sample's delta goes to the node sampled.
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  const dt = profile.timeDeltas[i] ?? 0;
  if (id !== undefined) self.set(id, (self.get(id) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string): string => {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
};
const frameKey = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url === '' ? '' : `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`}`;
const packageOf = (n: ProfileNode): string => {
  const url = n.callFrame.url;
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return 'node: (Node core)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `deed ${url.slice(src + '/dist/src/'.length).split('/').slice(0, 2).join('/')}`;
  return shortUrl(url);
};

const selfByFrame = new Map<string, number>();
const selfByPackage = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id);
  if (n === undefined) continue;
  selfByFrame.set(frameKey(n), (selfByFrame.get(frameKey(n)) ?? 0) + t);
  selfByPackage.set(packageOf(n), (selfByPackage.get(packageOf(n)) ?? 0) + t);
}

// Total (inclusive) time per frame: a sample counts once for every distinct frame on its stack.
const totalByFrame = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (n === undefined) break;
    const key = frameKey(n);
    if (!seen.has(key)) {
      seen.add(key);
      totalByFrame.set(key, (totalByFrame.get(key) ?? 0) + t);
    }
  }
}

const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
const print = (title: string, map: Map<string, number>, n: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${ms(t)} ${pct(t)}  ${k}\n`);
};

process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s of samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s\n`);
print('Self time by package / Deed module', selfByPackage, top);
print('Self time by function', selfByFrame, top);
print('Total time by function', totalByFrame, top);
