/**
 * In-process CPU cost of the Join Server use case and of its stages, without HTTP: a temporary
 * SQLite database with `--devices` LoRaWAN 1.0.3 devices (every tenth 1.1), one Network Server
 * and one Application Server peer with KEKs, then `handleJoin` with `--concurrency` joins in
 * flight, and each stage on its own. Prints µs of CPU per call (process.cpuUsage, user + system).
 *
 *   node dist/bench/join/stages.js [--devices 2000] [--joins 20000] [--concurrency 64]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { handleJoin, type JoinServerDeps } from '../../src/joinserver/index.js';
import { openRootKeys } from '../../src/joinserver/root-keys.js';
import { createMasterKeyRing, hashToken, sealContext, Sealer } from '../../src/keyvault/index.js';
import {
  AesKey, DevAddr, Eui64, NetId, buildJoinAccept10, decodeJoinRequest, deriveSessionKeys10, encodeJoinRequest,
  selectRootKeys, verifyJoinRequestMic, wrapKey, type MacVersion,
} from '../../src/lorawan/index.js';
import { cachePeerLookups } from '../../src/peers/peer-cache.js';
import type { Sealed } from '../../src/devices/device.js';
import { createStores, migrateToLatest, openDatabase } from '../../src/storage/index.js';

const { values } = parseArgs({ options: { devices: { type: 'string' }, joins: { type: 'string' }, concurrency: { type: 'string' } } });
const DEVICES = Number(values.devices ?? 2000);
const JOINS = Number(values.joins ?? 20_000);
const CONCURRENCY = Number(values.concurrency ?? 64);
const NET_ID = '000013';

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** µs of CPU per call of `fn`, best of three rounds of `n` calls. */
function perCall(n: number, fn: (i: number) => unknown): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = cpu();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, (cpu() - start) / n);
  }
  return best;
}

async function perCallAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = cpu();
    for (let i = 0; i < n; i++) await fn(i);
    best = Math.min(best, (cpu() - start) / n);
  }
  return best;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deed-stages-'));
  const handle = await openDatabase(`sqlite:${join(dir, 'deed.db')}`);
  try {
    await migrateToLatest(handle);
    const stores = createStores(handle);
    const vault = new Sealer(createMasterKeyRing([randomBytes(32)]));
    const token = randomBytes(24).toString('base64url');
    const seal = (bytes: Uint8Array, context: string) => vault.seal(bytes, context);
    await stores.peers.create({
      id: `ns:${NET_ID}`, kind: 'ns', netId: NET_ID, nsId: null, asId: null, tokenHash: hashToken(token), certFingerprint: null,
      kekLabel: 'ns', kek: seal(randomBytes(16), sealContext.peerKek(`ns:${NET_ID}`)),
    });
    await stores.peers.create({
      id: 'as:bench-as', kind: 'as', netId: null, nsId: null, asId: 'bench-as', tokenHash: null, certFingerprint: null,
      kekLabel: 'as', kek: seal(randomBytes(16), sealContext.peerKek('as:bench-as')),
    });
    const devices = Array.from({ length: DEVICES }, (_, i) => {
      const macVersion: MacVersion = i % 10 === 9 ? '1.1' : '1.0.3';
      const devEui = `00BE${i.toString(16).toUpperCase().padStart(12, '0')}`;
      const appKey = AesKey.fromBytes(randomBytes(16));
      const nwkKey = macVersion === '1.1' ? AesKey.fromBytes(randomBytes(16)) : null;
      return { devEui, macVersion, appKey, nwkKey, nonce: 0 };
    });
    for (const d of devices) {
      await stores.devices.create({
        devEui: d.devEui, joinEui: '70B3D57ED0000000', macVersion: d.macVersion,
        appKey: seal(d.appKey.unsafeBytes(), sealContext.deviceKey(d.devEui, 'appKey')),
        nwkKey: d.nwkKey === null ? null : seal(d.nwkKey.unsafeBytes(), sealContext.deviceKey(d.devEui, 'nwkKey')),
        homeNetId: NET_ID, homeNsId: null, asId: 'bench-as', resetsJoinNonces: false,
      });
    }
    const peers = cachePeerLookups(stores.peers);
    const deps: JoinServerDeps = {
      devices: stores.devices, peers, vault, clock: { now: () => new Date() }, random: { bytes: (n) => randomBytes(n) },
      settings: { devNonceHistory: 256, sessionKeysPerDevice: 10, allowUnwrappedKeys: false, sessionLifetimeSeconds: 0 },
    };
    const caller = await peers.findByTokenHash(hashToken(token));
    if (caller === null) throw new Error('no caller');
    const joinEui = Eui64.fromHex('70B3D57ED0000000');
    const message = (i: number) => {
      const d = devices[i % devices.length];
      if (d === undefined) throw new Error('no device');
      const phyPayload = encodeJoinRequest({ joinEui, devEui: Eui64.fromHex(d.devEui), devNonce: d.nonce++ }, d.nwkKey ?? d.appKey);
      return {
        macVersion: d.macVersion, phyPayload, devEui: Eui64.fromHex(d.devEui), devAddr: DevAddr.fromHex('01020304'),
        dlSettings: 0, rxDelay: 1, cfList: null, senderNetId: NetId.fromHex(NET_ID), senderNsId: null,
      };
    };

    // Whole use case, `CONCURRENCY` in flight.
    const runJoins = async (count: number) => {
      const messages = Array.from({ length: count }, (_, i) => message(i));
      let next = 0;
      const start = cpu();
      const started = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < count; i = next++) {
          const msg = messages[i];
          if (msg !== undefined) await handleJoin(deps, caller, msg);
        }
      }));
      return { cpuUs: (cpu() - start) / count, wallMs: performance.now() - started };
    };
    await runJoins(Math.min(JOINS, 5000)); // warm-up
    const whole = await runJoins(JOINS);
    process.stdout.write(`handleJoin, ${CONCURRENCY} in flight: ${whole.cpuUs.toFixed(1)} µs CPU per join (${(JOINS / (whole.wallMs / 1000)).toFixed(0)} joins/s on one thread)\n`);

    // Stages, one 1.0.3 device at a time.
    const d0 = devices[0];
    if (d0 === undefined) throw new Error('no device');
    const record = await stores.devices.get(d0.devEui);
    if (record === null) throw new Error('no record');
    const msg = message(0);
    const request = decodeJoinRequest(msg.phyPayload);
    const roots = selectRootKeys(openRootKeys(vault, record, '1.0.3'), '1.0.3');
    const kek = randomBytes(16);
    const sessionKey = AesKey.fromBytes(randomBytes(16));
    const rows: [string, number][] = [
      ['devices.getForJoin', await perCallAsync(5000, () => stores.devices.getForJoin(d0.devEui))],
      ['devices.get (whole row)', await perCallAsync(5000, () => stores.devices.get(d0.devEui))],
      ['decodeJoinRequest', perCall(20_000, () => decodeJoinRequest(msg.phyPayload))],
      ['openRootKeys (1 key)', perCall(20_000, () => openRootKeys(vault, record, '1.0.3'))],
      ['verifyJoinRequestMic', perCall(20_000, () => verifyJoinRequestMic(request, roots.network))],
      ['deriveSessionKeys10', perCall(20_000, () => deriveSessionKeys10(roots.network, { joinNonce: 1, netId: msg.senderNetId, devNonce: 1 }))],
      ['buildJoinAccept10', perCall(20_000, () => buildJoinAccept10({ joinNonce: 1, netId: msg.senderNetId, devAddr: msg.devAddr, dlSettings: 0, rxDelay: 1 }, roots.network))],
      ['vault.seal (16 bytes)', perCall(20_000, () => vault.seal(sessionKey.unsafeBytes(), 'session:00BE000000000000:0123456789ABCDEF0123456789ABCDEF:appSKey'))],
      ['vault.open (16 bytes)', perCall(20_000, () => vault.open(record.appKey as Sealed, sealContext.deviceKey(record.devEui, 'appKey')))],
      ['wrapKey', perCall(20_000, () => wrapKey(kek, sessionKey.unsafeBytes()))],
      ['randomBytes(16)', perCall(50_000, () => randomBytes(16))],
      ['hashToken', perCall(20_000, () => hashToken(token))],
    ];
    for (const [name, us] of rows) process.stdout.write(`  ${name.padEnd(24)} ${us.toFixed(2).padStart(7)} µs\n`);
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
