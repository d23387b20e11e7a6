import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectedWith } from '../../test/support/thrown.js';
import type { AccountRecord } from '../accounts/account.js';
import type { DeviceStore, NewDevice } from '../devices/device.js';
import { createMasterKeyRing } from '../keyvault/master-key-ring.js';
import { sealContext } from '../keyvault/seal-context.js';
import { Sealer } from '../keyvault/sealer.js';
import { wrapKey } from '../lorawan/index.js';
import { ForbiddenError, InvalidInputError } from '../shared/errors.js';
import { createStores, type Stores } from '../storage/create-stores.js';
import type { DatabaseHandle } from '../storage/database-handle.js';
import { migrateToLatest } from '../storage/migrate-to-latest.js';
import { openDatabase } from '../storage/open-database.js';
import { importVendorKeys, VENDOR_KEYS_MAX_ENTRIES, type VendorKeyDeps, type VendorKeyResult } from './vendor-keys.js';

const admin: AccountRecord = { id: 'a1', username: 'admin', passwordHash: 'x', role: 'admin', disabled: false, createdAt: new Date(0) };
const maker: AccountRecord = { ...admin, id: 'p1', username: 'maker', role: 'provisioner' };

const KEK = randomBytes(16);
const KEK_HEX = KEK.toString('hex');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
const wrap = (key: Uint8Array, kek: Uint8Array = KEK) => hex(wrapKey(kek, key));

const SE_DEVEUI = '0004A310001FF9DA';
const SE_UNIQUE_ID = '01238ebe20080bd527';
const PLAIN_DEVEUI = '70B3D57ED0000001';
const V11_DEVEUI = '70B3D57ED0000011';

function newDevice(devEui: string, extra: Partial<NewDevice> = {}): NewDevice {
  return {
    devEui, joinEui: '70B3D57ED0000000', macVersion: '1.0.2', appKey: null, nwkKey: null,
    homeNetId: null, homeNsId: null, asId: null, resetsJoinNonces: false, ...extra,
  };
}

describe('importVendorKeys', () => {
  let handle: DatabaseHandle;
  let stores: Stores;
  let deps: VendorKeyDeps;
  const vault = new Sealer(createMasterKeyRing([randomBytes(32)]));

  beforeEach(async () => {
    handle = await openDatabase(':memory:');
    await migrateToLatest(handle);
    stores = createStores(handle);
    deps = { devices: stores.devices, vault };
    await stores.devices.create(newDevice(SE_DEVEUI, {
      secureElement: { uniqueId: SE_UNIQUE_ID, model: 'ATECC608A', partNumber: 'ATECC608A-MAHT3', signerKid: 'kid', generation: 'B' },
    }));
    await stores.devices.create(newDevice(PLAIN_DEVEUI, { macVersion: '1.0.4' }));
    await stores.devices.create(newDevice(V11_DEVEUI, { macVersion: '1.1' }));
  });
  afterEach(async () => {
    await handle.close();
  });

  const storedKey = async (devEui: string, field: 'appKey' | 'nwkKey'): Promise<string | null> => {
    const device = await stores.devices.get(devEui);
    const sealed = device?.[field] ?? null;
    return sealed === null ? null : hex(vault.open(sealed, sealContext.deviceKey(devEui, field)));
  };
  const run = (body: Record<string, unknown>, actor: AccountRecord = admin) => importVendorKeys(deps, actor, { kek: KEK_HEX, ...body });
  const failureOf = (result: VendorKeyResult | undefined) => {
    if (result === undefined || result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
    return result;
  };
  const auditEvents = async () => (await stores.audit.list({ limit: 1000 })).filter((e) => e.action === 'device.keys_attached');

  it('attaches keys by secure element and by DevEUI, sealed at rest, with an audit event in the same transaction', async () => {
    const appKey = randomBytes(16);
    const appKey2 = randomBytes(16);
    const nwkKey2 = randomBytes(16);
    const { results, summary } = await run({
      kekLabel: 'vendor-2026',
      devices: [
        { uniqueId: SE_UNIQUE_ID.toUpperCase(), appKey: wrap(appKey) },
        { devEui: PLAIN_DEVEUI.toLowerCase(), appKey: wrap(appKey2).toLowerCase(), nwkKey: wrap(nwkKey2) },
      ],
    });
    expect(results).toEqual([
      { ok: true, index: 0, devEUI: SE_DEVEUI, uniqueId: SE_UNIQUE_ID, attached: ['appKey'], replaced: [], unchanged: [] },
      { ok: true, index: 1, devEUI: PLAIN_DEVEUI, uniqueId: null, attached: ['appKey', 'nwkKey'], replaced: [], unchanged: [] },
    ]);
    expect(summary).toEqual({ total: 2, attached: 2, unchanged: 0, failed: 0, dryRun: false });
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBe(hex(appKey));
    expect(await storedKey(SE_DEVEUI, 'nwkKey')).toBeNull();
    expect(await storedKey(PLAIN_DEVEUI, 'appKey')).toBe(hex(appKey2));
    expect(await storedKey(PLAIN_DEVEUI, 'nwkKey')).toBe(hex(nwkKey2));

    const events = await auditEvents();
    expect(events.map((e) => [e.actor, e.devEui, e.outcome])).toEqual([['admin', SE_DEVEUI, 'success'], ['admin', PLAIN_DEVEUI, 'success']]);
    expect(events[0]?.details).toEqual({
      source: 'vendor-batch', transportLabel: 'vendor-2026', uniqueId: SE_UNIQUE_ID, appKeyAttached: true, nwkKeyAttached: false, replaced: false,
    });
    const recorded = JSON.stringify(events).toUpperCase();
    for (const secret of [appKey, appKey2, nwkKey2, KEK]) expect(recorded).not.toContain(hex(secret));
  });

  it('is idempotent: the same batch again reports the keys unchanged and writes nothing', async () => {
    const appKey = randomBytes(16);
    const batch = { devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(appKey) }] };
    await run(batch);
    const before = await stores.devices.get(SE_DEVEUI);
    const again = await run(batch);
    expect(again.results).toEqual([{ ok: true, index: 0, devEUI: SE_DEVEUI, uniqueId: SE_UNIQUE_ID, attached: [], replaced: [], unchanged: ['appKey'] }]);
    expect(again.summary).toMatchObject({ attached: 0, unchanged: 1, failed: 0 });
    expect((await stores.devices.get(SE_DEVEUI))?.version).toBe(before?.version);
    expect(await auditEvents()).toHaveLength(1);
  });

  it('answers unwrap_failed for a wrong KEK or a corrupted key, and changes nothing', async () => {
    const appKey = randomBytes(16);
    const wrapped = wrap(appKey);
    const corrupted = `${wrapped.slice(0, 20)}${wrapped[20] === '0' ? '1' : '0'}${wrapped.slice(21)}`;
    const { results, summary } = await importVendorKeys(deps, admin, {
      kek: randomBytes(32).toString('hex'), devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrapped }],
    });
    expect(failureOf(results[0])).toMatchObject({ code: 'unwrap_failed', uniqueId: SE_UNIQUE_ID });
    expect(summary.failed).toBe(1);
    const second = await run({ devices: [{ devEui: PLAIN_DEVEUI, appKey: corrupted }] });
    expect(failureOf(second.results[0]).message).toBe('appKey: unwrapping failed its integrity check: wrong transport KEK, or corrupted data');
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBeNull();
    expect(await storedKey(PLAIN_DEVEUI, 'appKey')).toBeNull();
    expect(await auditEvents()).toHaveLength(0);
  });

  it('refuses to overwrite a different key (keys_present) unless replace is given', async () => {
    const first = randomBytes(16);
    const second = randomBytes(16);
    await run({ devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(first) }] });
    const refused = await run({ devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(second) }] });
    expect(failureOf(refused.results[0])).toMatchObject({ code: 'keys_present', devEUI: SE_DEVEUI });
    expect(failureOf(refused.results[0]).message).toContain('already has a different appKey');
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBe(hex(first));

    const replaced = await run({ replace: true, devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(second) }] });
    expect(replaced.results[0]).toMatchObject({ ok: true, attached: ['appKey'], replaced: ['appKey'], unchanged: [] });
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBe(hex(second));
    expect((await auditEvents()).at(-1)?.details).toMatchObject({ replaced: true, appKeyAttached: true });
  });

  it('adds a missing NwkKey next to an identical AppKey', async () => {
    const appKey = randomBytes(16);
    const nwkKey = randomBytes(16);
    await run({ devices: [{ devEui: PLAIN_DEVEUI, appKey: wrap(appKey) }] });
    const { results } = await run({ devices: [{ devEui: PLAIN_DEVEUI, appKey: wrap(appKey), nwkKey: wrap(nwkKey) }] });
    expect(results[0]).toMatchObject({ ok: true, attached: ['nwkKey'], replaced: [], unchanged: ['appKey'] });
    expect((await auditEvents()).at(-1)?.details).toMatchObject({ appKeyAttached: false, nwkKeyAttached: true });
  });

  it('writes nothing in a dry run, but reports what it would attach', async () => {
    const { results, summary } = await run({ dryRun: true, devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(randomBytes(16)) }] });
    expect(results[0]).toMatchObject({ ok: true, attached: ['appKey'] });
    expect(summary).toMatchObject({ attached: 1, dryRun: true });
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBeNull();
    expect(await auditEvents()).toHaveLength(0);
  });

  it('answers unknown_device for a secure element or DevEUI it does not hold, or two that disagree', async () => {
    const appKey = wrap(randomBytes(16));
    const { results } = await run({
      devices: [
        { uniqueId: '01238ebe20080bd5ff', appKey },
        { devEui: '0004A310001FF9FF', appKey },
        { uniqueId: SE_UNIQUE_ID, devEui: PLAIN_DEVEUI, appKey },
        { uniqueId: SE_UNIQUE_ID, devEui: SE_DEVEUI, appKey },
      ],
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['unknown_device', 'unknown_device', 'unknown_device', 'ok']);
    expect(failureOf(results[0]).message).toBe('no device has the secure element 01238ebe20080bd5ff; import its manifest first');
    expect(failureOf(results[1])).toMatchObject({ devEUI: '0004A310001FF9FF', message: 'no device with DevEUI 0004A310001FF9FF' });
    expect(failureOf(results[2]).message).toBe(`the secure element ${SE_UNIQUE_ID} belongs to DevEUI ${SE_DEVEUI}, not ${PLAIN_DEVEUI}`);
  });

  it('answers invalid_entry for entries it cannot read, and goes on with the others', async () => {
    const appKey = randomBytes(16);
    const good = wrap(appKey);
    const { results, summary } = await run({
      devices: [
        'not an object',
        null,
        [],
        { uniqueId: SE_UNIQUE_ID, appKey: good, appkey: good },
        { appKey: good },
        { uniqueId: 'xyz', appKey: good },
        { uniqueId: 1238, appKey: good },
        { devEui: '0004A310', appKey: good },
        { uniqueId: SE_UNIQUE_ID },
        { uniqueId: SE_UNIQUE_ID, appKey: hex(appKey) },
        { uniqueId: SE_UNIQUE_ID, appKey: 42 },
        { uniqueId: SE_UNIQUE_ID, appKey: `${good.slice(0, 46)}zz` },
        { devEui: PLAIN_DEVEUI, appKey: good },
        { devEui: SE_DEVEUI, appKey: good },
        { uniqueId: SE_UNIQUE_ID, appKey: good },
        { devEui: V11_DEVEUI, appKey: good },
      ],
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      ...Array<string>(12).fill('invalid_entry'), 'ok', 'ok', 'invalid_entry', 'invalid_entry',
    ]);
    expect(results.map((r) => r.index)).toEqual(results.map((_, i) => i));
    expect(summary).toEqual({ total: 16, attached: 2, unchanged: 0, failed: 14, dryRun: false });
    expect(failureOf(results[3]).message).toBe('unknown field "appkey"; expected uniqueId, devEui, appKey, nwkKey');
    expect(failureOf(results[4]).message).toBe('give uniqueId (the secure element) or devEui');
    expect(failureOf(results[8]).message).toBe('appKey: missing; every entry carries a wrapped AppKey');
    expect(failureOf(results[9]).message).toMatch(/^appKey: expected 48 hex digits, an AES-128 key wrapped with RFC 3394/);
    expect(failureOf(results[14]).message).toBe(`DevEUI ${SE_DEVEUI} already appeared at entry 13 of this batch`);
    expect(failureOf(results[15]).message).toBe(`DevEUI ${V11_DEVEUI} is a LoRaWAN 1.1 device: it needs a nwkKey as well as an appKey`);
    const text = JSON.stringify(results).toUpperCase();
    expect(text).not.toContain(hex(appKey));
    expect(text).not.toContain(KEK_HEX.toUpperCase());
  });

  it('attaches both keys of a LoRaWAN 1.1 device, under an AES-256 transport KEK', async () => {
    const kek = randomBytes(32);
    const appKey = randomBytes(16);
    const nwkKey = randomBytes(16);
    const { results } = await importVendorKeys(deps, admin, {
      kek: `0x${kek.toString('hex').toUpperCase()}`, devices: [{ devEui: V11_DEVEUI, appKey: wrap(appKey, kek), nwkKey: wrap(nwkKey, kek) }],
    });
    expect(results[0]).toMatchObject({ ok: true, attached: ['appKey', 'nwkKey'] });
    expect(await storedKey(V11_DEVEUI, 'nwkKey')).toBe(hex(nwkKey));
  });

  it('retries when the device changed between reading and writing', async () => {
    let raced = false;
    const devices: DeviceStore = stores.devices;
    deps = {
      vault,
      devices: {
        get: (devEui) => devices.get(devEui),
        getMany: (devEuis) => devices.getMany(devEuis),
        getBySecureElements: (ids) => devices.getBySecureElements(ids),
        async update(devEui, patch, options) {
          if (!raced) {
            raced = true;
            await devices.update(devEui, { name: 'renamed meanwhile' });
          }
          return devices.update(devEui, patch, options);
        },
      },
    };
    const appKey = randomBytes(16);
    const { results } = await run({ devices: [{ uniqueId: SE_UNIQUE_ID, appKey: wrap(appKey) }] });
    expect(results[0]).toMatchObject({ ok: true, attached: ['appKey'] });
    expect(raced).toBe(true);
    expect(await storedKey(SE_DEVEUI, 'appKey')).toBe(hex(appKey));
    expect((await stores.devices.get(SE_DEVEUI))?.name).toBe('renamed meanwhile');
    expect(await auditEvents()).toHaveLength(1);
  });

  describe('refuses a request as a whole', () => {
    const refused = async (input: unknown, actor: AccountRecord = admin) => rejectedWith(InvalidInputError, importVendorKeys(deps, actor, input));

    it('when it is not an object, has an unknown field or no devices array', async () => {
      expect((await refused([])).message).toBe('expected a JSON object {"kek": …, "kekLabel": …, "devices": [ … ]}');
      expect((await refused('text')).message).toMatch(/^expected a JSON object/);
      expect((await refused({ kek: KEK_HEX, device: [] })).message).toBe('unknown field "device"; expected kek, kekLabel, devices, dryRun, replace');
      expect((await refused({ kek: KEK_HEX })).message).toMatch(/^devices: expected an array/);
      expect((await refused({ kek: KEK_HEX, devices: {} })).message).toMatch(/^devices: expected an array/);
      expect((await refused({ kek: KEK_HEX, devices: [], dryRun: 'yes' })).message).toBe('dryRun: expected true or false');
      expect((await refused({ kek: KEK_HEX, devices: [], kekLabel: '' })).message).toBe('kekLabel: expected 1 to 255 printable characters');
    });

    it('when the KEK is missing or malformed, without quoting it', async () => {
      expect((await refused({ devices: [] })).message).toBe('kek: expected a hex string, got undefined (the transport KEK the batch is wrapped under)');
      const short = KEK_HEX.slice(0, 30);
      const error = await refused({ kek: short, devices: [] });
      expect(error.message).toContain('expected 32, 48 or 64 hex characters');
      expect(error.message).not.toContain(short);
      expect(error.details).toEqual({ field: 'kek' });
    });

    it(`when it has more than ${VENDOR_KEYS_MAX_ENTRIES} entries`, async () => {
      const devices = Array.from({ length: VENDOR_KEYS_MAX_ENTRIES + 1 }, () => ({ uniqueId: SE_UNIQUE_ID, appKey: 'x' }));
      expect((await refused({ kek: KEK_HEX, devices })).message)
        .toBe('devices: at most 10,000 entries per request, got 10,001; send the batch in parts (deed keys import-vendor does so by itself)');
      const { summary } = await run({ devices: devices.slice(1) });
      expect(summary).toMatchObject({ total: VENDOR_KEYS_MAX_ENTRIES, failed: VENDOR_KEYS_MAX_ENTRIES });
    });

    it('unless the caller is an admin', async () => {
      const error = await rejectedWith(ForbiddenError, importVendorKeys(deps, maker, { kek: KEK_HEX, devices: [] }));
      expect(error.message).toBe('vendor key batches are for admins: they hold the transport KEK');
    });
  });
});
