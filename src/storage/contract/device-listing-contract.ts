/** Contract tests of scoped, filtered device listings and counts. */
import { describe, expect, it } from 'vitest';
import type { DeviceFilter, DeviceScope, NewDevice } from '../../devices/device.js';
import { newApplication } from './application-contract.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

const { eui, sealed } = fixtures;

const ALL: DeviceScope = { kind: 'all' };
const makerA: DeviceScope = { kind: 'provisioner', accountId: 'id-maker-a' };
const makerB: DeviceScope = { kind: 'provisioner', accountId: 'id-maker-b' };
const olga: DeviceScope = { kind: 'owner', accountId: 'id-olga' };
const oscar: DeviceScope = { kind: 'owner', accountId: 'id-oscar' };

/** A DevEUI outside the `70B3D57ED…` range of `eui(i)`. */
const OTHER_EUI = '0004A30B00000006';

/** Registers the DeviceStore list/count tests with scopes and filters. */
export function describeDeviceListingContract(ctx: ContractContext): void {
  describe('devices: scoped and filtered listing', () => {
    /**
     * Two makers, two owners with three applications, and devices in every state:
     *
     * | device | maker | application | keys | other |
     * |---|---|---|---|---|
     * | 1 | a | - | appKey | name "Sensor 100% dry" |
     * | 2 | a | olga-1 | appKey | name "sensor_a" |
     * | 3 | a | olga-2 | none | name "sensorXa" |
     * | 4 | b | - | none | |
     * | 5 | b | oscar-1 | appKey | keys exposed |
     * | OTHER_EUI | (admin) | - | appKey | name "Gateway 100x" |
     * | 7 | (admin) | olga-1 | appKey | name "C:\\temp" |
     * | 8 | a | - | nwkKey only | |
     */
    async function world(): Promise<void> {
      for (const [id, role] of [['id-maker-a', 'provisioner'], ['id-maker-b', 'provisioner'], ['id-olga', 'owner'], ['id-oscar', 'owner']] as const) {
        await ctx.stores.accounts.create({ id, username: id.slice(3), passwordHash: 'h', role });
      }
      await ctx.stores.applications.create(newApplication('olga-1', 'id-olga'));
      await ctx.stores.applications.create(newApplication('olga-2', 'id-olga'));
      await ctx.stores.applications.create(newApplication('oscar-1', 'id-oscar'));
      const devices: [number | string, Partial<NewDevice>][] = [
        [1, { provisionerId: 'id-maker-a', name: 'Sensor 100% dry' }],
        [2, { provisionerId: 'id-maker-a', applicationId: 'olga-1', name: 'sensor_a' }],
        [3, { provisionerId: 'id-maker-a', applicationId: 'olga-2', name: 'sensorXa', appKey: null }],
        [4, { provisionerId: 'id-maker-b', appKey: null }],
        [5, { provisionerId: 'id-maker-b', applicationId: 'oscar-1' }],
        [OTHER_EUI, { name: 'Gateway 100x' }],
        [7, { applicationId: 'olga-1', name: 'C:\\temp' }],
        [8, { provisionerId: 'id-maker-a', appKey: null, nwkKey: sealed('old:nwkKey:8') }],
      ];
      for (const [i, overrides] of devices) {
        await (typeof i === 'number' ? ctx.createDevice(i, overrides) : ctx.createDevice(0, { ...overrides, devEui: i }));
      }
      await ctx.stores.devices.update(eui(5), { rootKeysExposed: { at: at(1), by: 'maker-b' } });
    }

    /** The DevEUIs `list` returns (in its order) and checks that `count` agrees. */
    async function listed(scope: DeviceScope | undefined, filter?: DeviceFilter): Promise<string[]> {
      const page = await ctx.stores.devices.list({
        limit: 100, ...(scope !== undefined ? { scope } : {}), ...(filter !== undefined ? { filter } : {}),
      });
      expect(await ctx.stores.devices.count(scope, filter), JSON.stringify({ scope, filter })).toBe(page.length);
      return page.map((d) => d.devEui);
    }
    const euis = (...ids: (number | string)[]) => ids.map((i) => (typeof i === 'number' ? eui(i) : i)).sort();

    it('lists everything for the scope "all" and without a scope', async () => {
      await world();
      const everything = euis(1, 2, 3, 4, 5, OTHER_EUI, 7, 8);
      expect(await listed(ALL)).toEqual(everything);
      expect(await listed(undefined)).toEqual(everything);
      expect(await listed(ALL, {})).toEqual(everything);
    });

    it('lists a maker\'s inventory, claimed or not, and nothing of other makers', async () => {
      await world();
      expect(await listed(makerA)).toEqual(euis(1, 2, 3, 8));
      expect(await listed(makerB)).toEqual(euis(4, 5));
      expect(await listed({ kind: 'provisioner', accountId: 'id-nobody' })).toEqual([]);
      // An owner's id names no inventory.
      expect(await listed({ kind: 'provisioner', accountId: 'id-olga' })).toEqual([]);
    });

    it('lists an owner\'s devices through its applications, and no unclaimed inventory', async () => {
      await world();
      expect(await listed(olga)).toEqual(euis(2, 3, 7));
      expect(await listed(oscar)).toEqual(euis(5));
      expect(await listed({ kind: 'owner', accountId: 'id-nobody' })).toEqual([]);
      // A maker owns no application: the owner scope of its id is empty.
      expect(await listed({ kind: 'owner', accountId: 'id-maker-a' })).toEqual([]);
    });

    it('filters by state', async () => {
      await world();
      expect(await listed(ALL, { state: 'unclaimed' })).toEqual(euis(1, 4, OTHER_EUI, 8));
      expect(await listed(ALL, { state: 'claimed' })).toEqual(euis(2, 3, 5, 7));
      expect(await listed(ALL, { state: 'exposed' })).toEqual(euis(5));
      // Missing means neither key: a device with only a NwkKey is not missing keys.
      expect(await listed(ALL, { state: 'keys_missing' })).toEqual(euis(3, 4));
    });

    it('combines scope and state', async () => {
      await world();
      expect(await listed(makerA, { state: 'unclaimed' })).toEqual(euis(1, 8));
      expect(await listed(makerA, { state: 'claimed' })).toEqual(euis(2, 3));
      expect(await listed(makerB, { state: 'exposed' })).toEqual(euis(5));
      expect(await listed(makerA, { state: 'exposed' })).toEqual([]);
      expect(await listed(olga, { state: 'keys_missing' })).toEqual(euis(3));
      expect(await listed(olga, { state: 'unclaimed' })).toEqual([]);
    });

    it('searches a DevEUI prefix, whatever its case, but not the middle of a DevEUI', async () => {
      await world();
      expect(await listed(ALL, { search: '0004a30b' })).toEqual([OTHER_EUI]);
      expect(await listed(ALL, { search: eui(5) })).toEqual(euis(5));
      expect(await listed(ALL, { search: '70B3D57ED000000' })).toEqual(euis(1, 2, 3, 4, 5, 7, 8));
      expect(await listed(ALL, { search: 'D57ED' })).toEqual([]);
      expect(await listed(ALL, { search: '' })).toEqual(euis(1, 2, 3, 4, 5, OTHER_EUI, 7, 8));
    });

    it('searches a substring of the name', async () => {
      await world();
      expect(await listed(ALL, { search: 'ensor' })).toEqual(euis(1, 2, 3));
      expect(await listed(ALL, { search: 'Gateway 100x' })).toEqual([OTHER_EUI]);
      expect(await listed(ALL, { search: 'no such name' })).toEqual([]);
    });

    it('ignores ASCII case in a name search, on every dialect', async () => {
      await world();
      expect(await listed(ALL, { search: 'SENSOR' })).toEqual(euis(1, 2, 3));
      expect(await listed(ALL, { search: 'gateway' })).toEqual([OTHER_EUI]);
      expect(await listed(ALL, { search: 'SENSOR_A' })).toEqual(euis(2));
    });

    it('takes %, _ and \\ in a search literally', async () => {
      await world();
      expect(await listed(ALL, { search: '100%' })).toEqual(euis(1));
      expect(await listed(ALL, { search: '%' })).toEqual(euis(1));
      expect(await listed(ALL, { search: 'sensor_a' })).toEqual(euis(2));
      expect(await listed(ALL, { search: '_' })).toEqual(euis(2));
      expect(await listed(ALL, { search: '\\' })).toEqual(euis(7));
      expect(await listed(ALL, { search: 'C:\\t' })).toEqual(euis(7));
      // "7_" would match any DevEUI starting with 7 if "_" were a wildcard.
      expect(await listed(ALL, { search: '7_' })).toEqual([]);
    });

    it('combines scope, state and search', async () => {
      await world();
      expect(await listed(olga, { search: 'ensor' })).toEqual(euis(2, 3));
      expect(await listed(makerB, { search: 'ensor' })).toEqual([]);
      expect(await listed(makerA, { search: 'ensor', state: 'unclaimed' })).toEqual(euis(1));
      expect(await listed(olga, { search: eui(7) })).toEqual(euis(7));
      expect(await listed(oscar, { search: eui(7) })).toEqual([]);
    });

    it('pages through one scope with a DevEUI cursor, never leaving it', async () => {
      for (const [id, role] of [['id-maker-a', 'provisioner'], ['id-maker-b', 'provisioner'], ['id-olga', 'owner']] as const) {
        await ctx.stores.accounts.create({ id, username: id.slice(3), passwordHash: 'h', role });
      }
      await ctx.stores.applications.create(newApplication('olga-1', 'id-olga'));
      // Interleaved: maker a holds the even devices, maker b the odd ones; every third is claimed by olga.
      const order = [7, 3, 19, 0, 12, 5, 1, 16, 9, 2, 14, 8, 4, 11, 18, 6, 10, 13, 17, 15];
      for (const i of order) {
        await ctx.createDevice(i, {
          provisionerId: i % 2 === 0 ? 'id-maker-a' : 'id-maker-b',
          applicationId: i % 3 === 0 ? 'olga-1' : null,
        });
      }
      async function pages(scope: DeviceScope, filter: DeviceFilter = {}): Promise<string[]> {
        const seen: string[] = [];
        let after: string | undefined;
        for (let n = 0; n < 50; n++) {
          const page = await ctx.stores.devices.list({ limit: 3, scope, filter, ...(after !== undefined ? { after } : {}) });
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) return seen;
          seen.push(...page.map((d) => d.devEui));
          after = page.at(-1)?.devEui;
        }
        throw new Error('did not end');
      }
      const range = Array.from({ length: 20 }, (_, i) => i);
      expect(await pages(makerA)).toEqual(range.filter((i) => i % 2 === 0).map(eui));
      expect(await pages(makerB)).toEqual(range.filter((i) => i % 2 === 1).map(eui));
      expect(await pages(olga)).toEqual(range.filter((i) => i % 3 === 0).map(eui));
      expect(await pages(makerB, { state: 'claimed' })).toEqual([3, 9, 15].map(eui));
      // A cursor that is another tenant's device (or none at all) just starts after it.
      expect((await ctx.stores.devices.list({ limit: 2, scope: makerA, after: eui(5) })).map((d) => d.devEui)).toEqual([eui(6), eui(8)]);
      expect(await ctx.stores.devices.count(makerA)).toBe(10);
      expect(await ctx.stores.devices.count(olga, { state: 'claimed' })).toBe(7);
    });
  });
}
