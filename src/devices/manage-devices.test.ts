import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectedWith } from '../../test/support/thrown.js';
import type { AccountRecord, Role } from '../accounts/account.js';
import { createMasterKeyRing } from '../keyvault/master-key-ring.js';
import { sealContext } from '../keyvault/seal-context.js';
import { Sealer } from '../keyvault/sealer.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { createStores, type Stores } from '../storage/create-stores.js';
import type { DatabaseHandle } from '../storage/database-handle.js';
import { migrateToLatest } from '../storage/migrate-to-latest.js';
import { openDatabase } from '../storage/open-database.js';
import { mayHandleOwnerToken } from './device-access.js';
import type { DeviceRecord } from './device.js';
import {
  addDevice, changeOwnerToken, exportRootKeys, getDevice, listDevices, openOwnerToken, removeDevice, updateDevice, type DeviceAdminDeps,
} from './manage-devices.js';

/**
 * Device management over the real SQLite storage: who sees, changes, removes and exports which
 * device (tenant isolation at the use-case level), who handles owner tokens, and what an export
 * and a token change write.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const APP_KEY = '000102030405060708090A0B0C0D0E0F';
const NWK_KEY = 'F0E0D0C0B0A090807060504030201000';
/** DevEUIs: maker A's unclaimed and claimed devices, maker B's, the admin's, and one that does not exist. */
const A_UNCLAIMED = '70B3D57ED00000A1';
const A_CLAIMED = '70B3D57ED00000A2';
const B_UNCLAIMED = '70B3D57ED00000B1';
const ADMINS = '70B3D57ED00000C1';
const UNKNOWN = '70B3D57ED00000FF';

describe('device management, per tenant', () => {
  let handle: DatabaseHandle;
  let stores: Stores;
  let deps: DeviceAdminDeps;
  let admin: AccountRecord;
  let makerA: AccountRecord;
  let makerB: AccountRecord;
  let olga: AccountRecord;
  let oscar: AccountRecord;
  /** The owner token each device was added with, by DevEUI. */
  const tokens = new Map<string, string>();

  beforeEach(async () => {
    handle = await openDatabase(':memory:');
    await migrateToLatest(handle);
    stores = createStores(handle);
    let counter = 0;
    deps = {
      devices: stores.devices,
      applications: stores.applications,
      vault: new Sealer(createMasterKeyRing([randomBytes(32)])),
      audit: stores.audit,
      // Distinct, predictable bytes: every generated token differs from the one before.
      random: { bytes: (n) => Uint8Array.from({ length: n }, () => ++counter & 0xff) },
      clock: { now: () => NOW },
      ownerTokenLength: 8,
    };
    const account = (username: string, role: Role) => stores.accounts.create({ id: `id-${username}`, username, passwordHash: 'h', role });
    admin = await account('admin', 'admin');
    makerA = await account('maker-a', 'provisioner');
    makerB = await account('maker-b', 'provisioner');
    olga = await account('olga', 'owner');
    oscar = await account('oscar', 'owner');
    const application = { name: null, homeNetId: null, homeNsId: null, asId: null, asKekLabel: null };
    await stores.applications.create({ ...application, id: 'olga-app', ownerId: olga.id });
    await stores.applications.create({ ...application, id: 'oscar-app', ownerId: oscar.id });

    tokens.clear();
    for (const [actor, devEui] of [[makerA, A_UNCLAIMED], [makerA, A_CLAIMED], [makerB, B_UNCLAIMED], [admin, ADMINS]] as const) {
      const view = await addDevice(deps, actor, { devEui, joinEui: '70B3D57ED0001234', appKey: APP_KEY, nwkKey: NWK_KEY, macVersion: '1.1' });
      tokens.set(devEui, view.ownerToken ?? '');
    }
    // Olga claimed one of maker A's devices (the claim use case is not part of this module).
    await stores.devices.update(A_CLAIMED, { applicationId: 'olga-app' });
  });

  afterEach(async () => {
    await handle.close();
  });

  const device = async (devEui: string): Promise<DeviceRecord> => {
    const found = await stores.devices.get(devEui);
    if (found === null) throw new Error(`no ${devEui}`);
    return found;
  };
  const auditActions = async () => (await stores.audit.list({ limit: 100 })).map((e) => [e.action, e.actor, e.devEui]);

  /** Every use case that names one device, as `actor`. */
  const operations = (actor: AccountRecord): [string, (devEui: string) => Promise<unknown>][] => [
    ['get', (devEui) => getDevice(deps, actor, devEui)],
    ['update', (devEui) => updateDevice(deps, actor, devEui, { name: 'renamed' })],
    ['remove', (devEui) => removeDevice(deps, actor, devEui)],
    ['export root keys', (devEui) => exportRootKeys(deps, actor, devEui)],
    ['change the owner token', (devEui) => changeOwnerToken(deps, actor, devEui, { regenerate: true })],
  ];

  /** `operation` on `devEui` fails exactly as on a DevEUI that does not exist, and writes nothing. */
  async function expectHidden(operation: (devEui: string) => Promise<unknown>, devEui: string, label: string): Promise<void> {
    const before = await device(devEui);
    const eventsBefore = await auditActions();
    const hidden = await rejectedWith(NotFoundError, operation(devEui));
    const unknown = await rejectedWith(NotFoundError, operation(UNKNOWN));
    expect({ code: hidden.code, details: hidden.details, message: hidden.message.replace(devEui, '<DevEUI>') }, label)
      .toEqual({ code: unknown.code, details: unknown.details, message: unknown.message.replace(UNKNOWN, '<DevEUI>') });
    expect(await device(devEui), label).toEqual(before);
    expect(await auditActions(), label).toEqual(eventsBefore);
  }

  describe('tenant isolation', () => {
    it('hides a maker\'s devices from another maker, as if they did not exist', async () => {
      for (const [name, operation] of operations(makerB)) {
        for (const devEui of [A_UNCLAIMED, A_CLAIMED, ADMINS]) await expectHidden(operation, devEui, `${name} ${devEui}`);
      }
    });

    it('lists and counts only the maker\'s own inventory, claimed devices included', async () => {
      const a = await listDevices(deps, makerA, {});
      expect(a.devices.map((d) => d.devEUI)).toEqual([A_UNCLAIMED, A_CLAIMED]);
      expect(a.total).toBe(2);
      const b = await listDevices(deps, makerB, { search: '70B3D57ED00000A' });
      expect(b).toEqual({ devices: [], next: null, total: 0 });
      expect((await listDevices(deps, makerB, {})).devices.map((d) => d.devEUI)).toEqual([B_UNCLAIMED]);
    });

    it('hides unclaimed inventory and other owners\' devices from an owner', async () => {
      for (const [name, operation] of operations(olga)) {
        for (const devEui of [A_UNCLAIMED, B_UNCLAIMED, ADMINS]) await expectHidden(operation, devEui, `olga: ${name} ${devEui}`);
      }
      for (const [name, operation] of operations(oscar)) await expectHidden(operation, A_CLAIMED, `oscar: ${name}`);
      expect((await listDevices(deps, olga, {})).devices.map((d) => d.devEUI)).toEqual([A_CLAIMED]);
      expect((await listDevices(deps, olga, { state: 'unclaimed' })).total).toBe(0);
      expect(await listDevices(deps, oscar, {})).toEqual({ devices: [], next: null, total: 0 });
    });

    it('lets an owner see and configure a device it holds, but not remove it or add devices', async () => {
      expect((await getDevice(deps, olga, A_CLAIMED.toLowerCase())).devEUI).toBe(A_CLAIMED);
      expect((await updateDevice(deps, olga, A_CLAIMED, { name: 'barn-sensor' })).name).toBe('barn-sensor');
      await rejectedWith(ForbiddenError, removeDevice(deps, olga, A_CLAIMED));
      expect(await stores.devices.get(A_CLAIMED)).not.toBeNull();
      await rejectedWith(ForbiddenError, addDevice(deps, olga, { devEui: UNKNOWN, joinEui: '70B3D57ED0001234', macVersion: '1.0.3' }));
      expect(await stores.devices.get(UNKNOWN)).toBeNull();
    });

    it('lets an admin see, change and remove every device', async () => {
      const all = await listDevices(deps, admin, {});
      expect(all.devices.map((d) => d.devEUI)).toEqual([A_UNCLAIMED, A_CLAIMED, B_UNCLAIMED, ADMINS]);
      expect(all.total).toBe(4);
      for (const devEui of [A_UNCLAIMED, A_CLAIMED, B_UNCLAIMED, ADMINS]) {
        expect((await getDevice(deps, admin, devEui)).devEUI).toBe(devEui);
      }
      expect((await updateDevice(deps, admin, B_UNCLAIMED, { name: 'by-admin' })).name).toBe('by-admin');
      await removeDevice(deps, admin, B_UNCLAIMED);
      expect(await stores.devices.get(B_UNCLAIMED)).toBeNull();
      expect((await auditActions()).at(-1)).toEqual(['device.removed', 'admin', B_UNCLAIMED]);
    });

    it('puts a maker\'s new device into its inventory, and an admin\'s into none', async () => {
      expect((await device(A_UNCLAIMED)).provisionerId).toBe(makerA.id);
      expect((await device(ADMINS)).provisionerId).toBeNull();
      expect((await auditActions()).slice(0, 4)).toEqual([
        ['device.created', 'maker-a', A_UNCLAIMED], ['device.created', 'maker-a', A_CLAIMED],
        ['device.created', 'maker-b', B_UNCLAIMED], ['device.created', 'admin', ADMINS],
      ]);
    });
  });

  describe('owner token visibility', () => {
    it('is the maker\'s (or an admin\'s) while unclaimed, the holder\'s (or an admin\'s) once claimed', () => {
      const unclaimed = { applicationId: null } as DeviceRecord;
      const claimed = { applicationId: 'olga-app' } as DeviceRecord;
      expect([mayHandleOwnerToken('admin', unclaimed), mayHandleOwnerToken('maker', unclaimed), mayHandleOwnerToken('holder', unclaimed)])
        .toEqual([true, true, false]);
      expect([mayHandleOwnerToken('admin', claimed), mayHandleOwnerToken('maker', claimed), mayHandleOwnerToken('holder', claimed)])
        .toEqual([true, false, true]);
    });

    it('shows the generated token on add, sealed at rest under the device\'s context', async () => {
      const token = tokens.get(A_UNCLAIMED) ?? '';
      expect(token).toMatch(/^[0-9A-F]{8}$/);
      expect(new Set(tokens.values()).size).toBe(4);
      const record = await device(A_UNCLAIMED);
      expect(record.ownerToken).not.toContain(token);
      expect(openOwnerToken(deps, record)).toBe(token);
      expect(() => deps.vault.open(record.ownerToken!, sealContext.ownerToken(B_UNCLAIMED))).toThrow();
    });

    it('shows the token to whom it concerns in get and list, and leaves the field out for anyone else', async () => {
      expect(await getDevice(deps, makerA, A_UNCLAIMED)).toMatchObject({ ownerToken: tokens.get(A_UNCLAIMED), ownerTokenValidTo: null });
      expect(await getDevice(deps, makerA, A_CLAIMED)).not.toHaveProperty('ownerToken');
      expect(await getDevice(deps, olga, A_CLAIMED)).toMatchObject({ ownerToken: tokens.get(A_CLAIMED) });
      expect(await getDevice(deps, admin, A_UNCLAIMED)).toMatchObject({ ownerToken: tokens.get(A_UNCLAIMED) });
      expect(await getDevice(deps, admin, A_CLAIMED)).toMatchObject({ ownerToken: tokens.get(A_CLAIMED) });

      const shown = async (actor: AccountRecord) =>
        Object.fromEntries((await listDevices(deps, actor, {})).devices.map((d) => [d.devEUI, 'ownerToken' in d ? d.ownerToken : 'hidden']));
      expect(await shown(makerA)).toEqual({ [A_UNCLAIMED]: tokens.get(A_UNCLAIMED), [A_CLAIMED]: 'hidden' });
      expect(await shown(olga)).toEqual({ [A_CLAIMED]: tokens.get(A_CLAIMED) });
      expect(Object.values(await shown(admin))).toEqual([A_UNCLAIMED, A_CLAIMED, B_UNCLAIMED, ADMINS].map((e) => tokens.get(e)));
    });

    it('shows nonces only when asked', async () => {
      expect(await getDevice(deps, makerA, A_UNCLAIMED)).not.toHaveProperty('nonces');
      expect((await getDevice(deps, makerA, A_UNCLAIMED, { nonces: true })).nonces).toEqual({ nextJoinNonce: 1, usedDevNonces: [], lastDevNonce: null });
      expect((await listDevices(deps, makerA, { nonces: true })).devices.every((d) => d.nonces !== undefined)).toBe(true);
    });
  });

  describe('exportRootKeys', () => {
    it('returns the keys, marks the device exposed and records device.keys_exported, once', async () => {
      const exported = await exportRootKeys(deps, makerA, A_UNCLAIMED);
      expect(exported.rootKeys).toEqual({ appKey: APP_KEY, nwkKey: NWK_KEY });
      expect(exported).toMatchObject({ rootKeysExposed: true, rootKeysExposedAt: NOW.toISOString(), rootKeysExposedBy: 'maker-a' });
      expect((await device(A_UNCLAIMED)).rootKeysExposed).toEqual({ at: NOW, by: 'maker-a' });
      const event = (await stores.audit.list({ devEui: A_UNCLAIMED, limit: 10 })).at(-1);
      expect(event).toMatchObject({
        action: 'device.keys_exported', actor: 'maker-a', outcome: 'success', at: NOW,
        details: { appKeyInCustody: true, nwkKeyInCustody: true, firstExport: true },
      });
      expect(JSON.stringify(event)).not.toContain(APP_KEY);
      // A plain get never carries the keys.
      expect(await getDevice(deps, makerA, A_UNCLAIMED)).not.toHaveProperty('rootKeys');

      // Exported again (by an admin): the keys again, the first exposure kept.
      const again = await exportRootKeys(deps, admin, A_UNCLAIMED);
      expect(again.rootKeys).toEqual({ appKey: APP_KEY, nwkKey: NWK_KEY });
      expect(again).toMatchObject({ rootKeysExposedBy: 'maker-a', rootKeysExposedAt: NOW.toISOString() });
      expect((await stores.audit.list({ devEui: A_UNCLAIMED, limit: 10 })).map((e) => [e.action, e.actor, e.details['firstExport']]))
        .toEqual([['device.created', 'maker-a', undefined], ['device.keys_exported', 'maker-a', true], ['device.keys_exported', 'admin', false]]);
      expect(await stores.audit.verify()).toMatchObject({ ok: true });
    });

    it('lets the maker export the keys of a device that was claimed, but never the holder', async () => {
      await rejectedWith(ForbiddenError, exportRootKeys(deps, olga, A_CLAIMED));
      expect((await device(A_CLAIMED)).rootKeysExposed).toBeNull();
      expect((await stores.audit.list({ devEui: A_CLAIMED, limit: 10 })).map((e) => e.action)).toEqual(['device.created']);
      const exported = await exportRootKeys(deps, makerA, A_CLAIMED);
      expect(exported.rootKeys).toEqual({ appKey: APP_KEY, nwkKey: NWK_KEY });
      expect(exported).not.toHaveProperty('ownerToken');
      // The holder sees that the keys left custody.
      expect(await getDevice(deps, olga, A_CLAIMED)).toMatchObject({ rootKeysExposed: true, rootKeysExposedBy: 'maker-a' });
    });
  });

  describe('changeOwnerToken', () => {
    it('sets a given token and records device.token_changed without the token', async () => {
      const before = await device(A_UNCLAIMED);
      const view = await changeOwnerToken(deps, makerA, A_UNCLAIMED, { ownerToken: 'MY-CODE-42' });
      expect(view.ownerToken).toBe('MY-CODE-42');
      const after = await device(A_UNCLAIMED);
      expect(openOwnerToken(deps, after)).toBe('MY-CODE-42');
      expect(after.version).toBe(before.version + 1);
      const event = (await stores.audit.list({ devEui: A_UNCLAIMED, limit: 10 })).at(-1);
      expect(event).toMatchObject({ action: 'device.token_changed', actor: 'maker-a', details: { change: 'set', validFrom: null, validTo: null } });
      expect(JSON.stringify(event)).not.toContain('MY-CODE-42');
    });

    it('regenerates a token of the configured length', async () => {
      const old = tokens.get(A_UNCLAIMED);
      const view = await changeOwnerToken(deps, makerA, A_UNCLAIMED, { regenerate: true });
      expect(view.ownerToken).toMatch(/^[0-9A-F]{8}$/);
      expect(view.ownerToken).not.toBe(old);
      expect(openOwnerToken(deps, await device(A_UNCLAIMED))).toBe(view.ownerToken);
      expect((await stores.audit.list({ devEui: A_UNCLAIMED, limit: 10 })).at(-1)?.details).toMatchObject({ change: 'regenerated' });
    });

    it('sets, keeps and clears the validity window', async () => {
      const from = '2026-04-01T00:00:00.000Z';
      const to = '2026-05-01T00:00:00.000Z';
      const view = await changeOwnerToken(deps, makerA, A_UNCLAIMED, { validFrom: from, validTo: to });
      expect(view).toMatchObject({ ownerToken: tokens.get(A_UNCLAIMED), ownerTokenValidFrom: from, ownerTokenValidTo: to });
      expect(await device(A_UNCLAIMED)).toMatchObject({ ownerTokenValidFrom: new Date(from), ownerTokenValidTo: new Date(to) });
      expect((await stores.audit.list({ devEui: A_UNCLAIMED, limit: 10 })).at(-1)?.details).toEqual({ change: 'validity', validFrom: from, validTo: to });
      // A new token keeps the window; null opens one end.
      expect(await changeOwnerToken(deps, makerA, A_UNCLAIMED, { ownerToken: 'NEXT' })).toMatchObject({ ownerTokenValidFrom: from, ownerTokenValidTo: to });
      expect(await changeOwnerToken(deps, makerA, A_UNCLAIMED, { validTo: null })).toMatchObject({ ownerTokenValidFrom: from, ownerTokenValidTo: null });
    });

    it('refuses a window that ends before (or when) it starts, and writes nothing', async () => {
      await changeOwnerToken(deps, makerA, A_UNCLAIMED, { validFrom: '2026-04-01T00:00:00Z' });
      const before = await device(A_UNCLAIMED);
      const eventsBefore = await auditActions();
      const cases = [
        { validFrom: '2026-06-01T00:00:00Z', validTo: '2026-05-01T00:00:00Z' },
        { validFrom: '2026-06-01T00:00:00Z', validTo: '2026-06-01T00:00:00Z' },
        // Against the stored start.
        { validTo: '2026-03-15T00:00:00Z' },
        { ownerToken: 'NEW-TOKEN', validTo: '2026-03-15T00:00:00Z' },
      ];
      for (const input of cases) {
        const error = await rejectedWith(InvalidInputError, changeOwnerToken(deps, makerA, A_UNCLAIMED, input));
        expect(error.details, JSON.stringify(input)).toEqual({ field: 'validTo' });
      }
      expect(await device(A_UNCLAIMED)).toEqual(before);
      expect(await auditActions()).toEqual(eventsBefore);
    });

    it('refuses unclear input, and writes nothing', async () => {
      const before = await device(A_UNCLAIMED);
      for (const input of [{}, { ownerToken: 'A', regenerate: true }, { validFrom: 'tomorrow' }, { validTo: 1767225600000 }, { ownerToken: 'has space' }, { regenerate: 'yes' }]) {
        await rejectedWith(InvalidInputError, changeOwnerToken(deps, makerA, A_UNCLAIMED, input));
      }
      expect(await device(A_UNCLAIMED)).toEqual(before);
    });

    it('is the holder\'s business once the device is claimed, no longer the maker\'s', async () => {
      await rejectedWith(ForbiddenError, changeOwnerToken(deps, makerA, A_CLAIMED, { regenerate: true }));
      expect(openOwnerToken(deps, await device(A_CLAIMED))).toBe(tokens.get(A_CLAIMED));
      const view = await changeOwnerToken(deps, olga, A_CLAIMED, { ownerToken: 'OLGAS-CODE' });
      expect(view.ownerToken).toBe('OLGAS-CODE');
      expect((await changeOwnerToken(deps, admin, A_CLAIMED, { regenerate: true })).ownerToken).toMatch(/^[0-9A-F]{8}$/);
      expect((await changeOwnerToken(deps, admin, B_UNCLAIMED, { ownerToken: 'BY-ADMIN' })).ownerToken).toBe('BY-ADMIN');
    });
  });
});
