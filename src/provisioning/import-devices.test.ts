import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../accounts/account.js';
import type { DeviceStore } from '../devices/device.js';
import { Sealer } from '../keyvault/index.js';
import { createMasterKeyRing } from '../keyvault/master-key-ring.js';
import { createStores, migrateToLatest, openDatabase, type Stores } from '../storage/index.js';
import type { DatabaseHandle } from '../storage/index.js';
import { importDevices, type ImportDeps, type ImportEvent, type ImportRequest } from './import-devices.js';
import { TrustedSigners } from './trusted-signers.js';

const maker: AccountRecord = {
  id: 'id-maker', username: 'maker', passwordHash: 'x', role: 'provisioner', disabled: false, createdAt: new Date(0),
};

const CSV = [
  'dev_eui,join_eui,app_key',
  '0004A30B00000001,70B3D57ED0000001,000102030405060708090A0B0C0D0E0F',
  '0004A30B00000002,70B3D57ED0000001,101112131415161718191A1B1C1D1E1F',
  '',
].join('\n');

/** Runs an import to its end (or its error) and returns its events. */
async function run(deps: ImportDeps, request: Omit<ImportRequest, 'actor' | 'format'>): Promise<{ events: ImportEvent[]; error?: unknown }> {
  const events: ImportEvent[] = [];
  try {
    for await (const event of importDevices(deps, { format: 'csv', actor: maker, ...request })) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

describe('importDevices: an interrupted import run again', () => {
  let handle: DatabaseHandle;
  let stores: Stores;
  let deps: ImportDeps;

  beforeEach(async () => {
    handle = await openDatabase(':memory:');
    await migrateToLatest(handle);
    stores = createStores(handle);
    deps = {
      devices: stores.devices,
      vault: new Sealer(createMasterKeyRing([randomBytes(32)])),
      signers: TrustedSigners.fromPems([]),
      random: { bytes: (n) => randomBytes(n) },
      ownerTokenLength: 8,
    };
  });
  afterEach(async () => {
    await handle.close();
  });

  /** The first run: the request body breaks off after the two rows were read. */
  async function interruptedRun(): Promise<void> {
    async function* aborted(): AsyncGenerator<string> {
      yield CSV;
      await new Promise((resolve) => setTimeout(resolve, 50)); // the rows are read by then
      throw new Error('aborted');
    }
    const first = await run(deps, { source: aborted() });
    expect((first.error as Error).message).toBe('aborted');
    // The reader had handed over the first row only (it holds a row until it sees what follows).
    expect((await stores.devices.get('0004A30B00000001'))?.provenance?.fileSha256).toMatch(/^pending:/);
    expect(await stores.devices.get('0004A30B00000002')).toBeNull();
  }

  async function expectStamped(): Promise<void> {
    const sha = createHash('sha256').update(CSV).digest('hex');
    for (const devEui of ['0004A30B00000001', '0004A30B00000002']) {
      expect((await stores.devices.get(devEui))?.provenance?.fileSha256).toBe(sha);
    }
  }

  it('stamps the file hash on the devices the interrupted run left pending', async () => {
    await interruptedRun();
    const again = await run(deps, { source: CSV });
    expect(again.error).toBeUndefined();
    expect(again.events.flatMap((e) => (e.type === 'result' ? [e.result] : []))).toEqual([
      expect.objectContaining({ ok: true, index: 0, alreadyImported: true }),
      expect.objectContaining({ ok: true, index: 1, alreadyImported: false }),
    ]);
    await expectStamped();
  });

  it('stamps them too when the interrupted run wrote them between the check and the insert', async () => {
    await interruptedRun();
    // The check sees nothing yet (the other run had not committed); the insert then finds them.
    let hidden = true;
    const racing: DeviceStore = Object.create(stores.devices) as DeviceStore;
    Object.assign(racing, {
      getMany: async (devEuis: readonly string[]) => (hidden ? [] : stores.devices.getMany(devEuis)),
      insertMany: async (...args: Parameters<DeviceStore['insertMany']>) => {
        hidden = false;
        return stores.devices.insertMany(...args);
      },
    });
    const again = await run({ ...deps, devices: racing }, { source: CSV });
    expect(again.error).toBeUndefined();
    expect(again.events.flatMap((e) => (e.type === 'result' ? [e.result] : []))).toEqual([
      expect.objectContaining({ ok: true, index: 0, alreadyImported: true }),
      expect.objectContaining({ ok: true, index: 1, alreadyImported: false }),
    ]);
    await expectStamped();
  });
});
