/**
 * A separate process for the cross-process tests: opens the database at argv[2], migrates it,
 * then (when argv[3] is given) commits argv[4] joins at once for the device argv[3] against
 * version argv[5], starting at the wall-clock instant argv[6] (epoch ms), and prints how many
 * returned true as JSON on stdout.
 * Run with `node --import tsx`.
 */
import { createStores } from '../create-stores.js';
import { migrateToLatest } from '../migrate-to-latest.js';
import { openDatabase } from '../open-database.js';
import { fixtures } from './fixtures.js';

const [url, devEui, count, version, startAt] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: race-worker <url> [devEui count expectedVersion startAtEpochMs]');
const handle = await openDatabase(url);
try {
  const applied = await migrateToLatest(handle);
  let won = 0;
  if (devEui !== undefined) {
    const stores = createStores(handle);
    const found = await stores.devices.get(devEui);
    if (found === null) throw new Error(`no device ${devEui}`);
    // The version comes from the parent, so a worker that starts late cannot win a second time.
    const device = { ...found, version: Number(version) };
    // Line both processes up on a wall-clock instant so their commits overlap.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt ?? 0) - Date.now())));
    const results = await Promise.all(
      Array.from({ length: Number(count ?? 1) }, (_, n) =>
        stores.devices.commitJoin(fixtures.join(device, `${process.pid.toString(16)}${n.toString(16).padStart(4, '0')}`.toUpperCase(), new Date(), 1000)),
      ),
    );
    won = results.filter(Boolean).length;
  }
  process.stdout.write(`${JSON.stringify({ applied, won })}\n`);
} finally {
  await handle.close();
}
