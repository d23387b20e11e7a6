/**
 * Quick throughput check of the join hot path: `get` + `commitJoin` per join, over 1,000 devices,
 * keeping 3 sessions each. Not part of the test run. Examples:
 *
 *   node --import tsx src/storage/contract/join-throughput.ts                      # SQLite temp file, native
 *   node --import tsx src/storage/contract/join-throughput.ts '' portable 20000 8   # Kysely path, 8 in flight
 *   node --import tsx src/storage/contract/join-throughput.ts postgres://postgres@127.0.0.1/deed_bench native 3000 10
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { createStores } from '../create-stores.js';
import type { JoinPath } from '../device-repository.js';
import { migrateToLatest } from '../migrate-to-latest.js';
import { openDatabase } from '../open-database.js';
import { fixtures } from './fixtures.js';

const [urlArg, pathArg, joinsArg, concurrencyArg] = process.argv.slice(2);
const url = urlArg !== undefined && urlArg !== '' ? urlArg : joinPath(mkdtempSync(joinPath(tmpdir(), 'deed-bench-')), 'deed.db');
const path: JoinPath = pathArg === 'portable' ? 'portable' : 'native';
const joins = Number(joinsArg ?? 20_000);
const concurrency = Number(concurrencyArg ?? 1);
const devices = 1_000;

const handle = await openDatabase(url);
try {
  await migrateToLatest(handle);
  const stores = createStores(handle, { joinPath: path });
  for (let i = 0; i < devices; i++) {
    if ((await stores.devices.get(fixtures.eui(i))) === null) await stores.devices.create(fixtures.device(i));
  }
  let sequence = Math.floor(Math.random() * 2 ** 40);
  let next = 0;
  let committed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < joins) {
        const device = await stores.devices.get(fixtures.eui(next++ % devices));
        if (device === null) throw new Error('device missing');
        const id = (sequence++).toString(16).toUpperCase().padStart(12, '0');
        if (await stores.devices.commitJoin(fixtures.join({ ...device, usedDevNonces: device.usedDevNonces.slice(-15) }, id, new Date(), 3))) {
          committed++;
        }
      }
    }),
  );
  const ms = performance.now() - started;
  console.log(
    `${handle.dialect} ${path}, ${concurrency} in flight: ${joins} joins (get + commitJoin) in ${ms.toFixed(0)} ms = ` +
      `${Math.round((joins / ms) * 1000)} joins/s; ${committed} committed`,
  );
} finally {
  await handle.close();
}
