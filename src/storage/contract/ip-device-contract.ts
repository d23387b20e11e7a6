/** Contract tests of IpDeviceStore's claim windows: the conditional window write and the token lookup. */
import { describe, expect, it } from 'vitest';
import type { IpDeviceStore, NewIpDevice } from '../../claiming/ip-device.js';
import { createIpDeviceRepository } from '../ip-device-repository.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

const ALLOW = { allowClaimingByDefault: true };
const DENY = { allowClaimingByDefault: false };

const ipDevice = (i: number, overrides: Partial<NewIpDevice> = {}): NewIpDevice => ({
  id: `ipd-${i}`, name: `Device ${i}`, scope: 'maker', provisionerId: null, gatewayId: null,
  accessTokenHash: `${i}`.padStart(64, 'a'), claimingAllowed: null, ...overrides,
});
const window = (i: number, secret: string, expiresAt = at(60)) => ({
  deviceId: `ipd-${i}`, secret: fixtures.sealed(secret), expiresAt, openedAt: at(0),
});

/** Registers the IP device tests, against the stores' repository and (on SQLite) the all-Kysely one too. */
export function describeIpDeviceContract(ctx: ContractContext): void {
  const variants: [string, () => IpDeviceStore][] = [
    ['IP devices', () => ctx.stores.ipDevices],
    ['IP devices (all queries through Kysely)', () => createIpDeviceRepository(ctx.handle, { fastPath: false })],
  ];
  for (const [name, store] of variants) {
    describe(name, () => {
      it('opens a window for an unowned device and replaces it on the next announcement', async () => {
        const ipDevices = store();
        await ipDevices.create(ipDevice(1));
        expect(await ipDevices.putWindow(window(1, 's1', at(60)), ALLOW)).toBe(true);
        expect(await ipDevices.getWindow('ipd-1')).toEqual({ ...window(1, 's1', at(60)), failures: 0 });
        await ipDevices.recordWindowFailure('ipd-1', 5);
        expect((await ipDevices.getWindow('ipd-1'))?.failures).toBe(1);
        expect(await ipDevices.putWindow({ ...window(1, 's2', at(90)), openedAt: at(5) }, ALLOW)).toBe(true);
        expect(await ipDevices.getWindow('ipd-1')).toEqual({ deviceId: 'ipd-1', secret: 's2', expiresAt: at(90), openedAt: at(5), failures: 0 });
      });

      it('writes nothing for an owned device, an unknown one, or one claiming is off for', async () => {
        const ipDevices = store();
        const owned = await ipDevices.create(ipDevice(1));
        await ipDevices.create(ipDevice(2, { claimingAllowed: false }));
        await ipDevices.create(ipDevice(3));
        await ipDevices.create(ipDevice(4, { claimingAllowed: true }));
        expect(await ipDevices.putWindow(window(1, 'before'), ALLOW)).toBe(true);
        // Claimed: the window goes with the claim, and no announcement opens another.
        expect(await ipDevices.update(owned.id, { applicationId: 'app-1', claimedAt: at(1) }, { expectedVersion: owned.version, closeWindow: true })).not.toBeNull();
        expect(await ipDevices.putWindow(window(1, 'after'), ALLOW)).toBe(false);
        expect(await ipDevices.getWindow('ipd-1')).toBeNull();
        expect(await ipDevices.putWindow(window(2, 's'), ALLOW)).toBe(false);
        expect(await ipDevices.putWindow(window(3, 's'), DENY)).toBe(false);
        expect(await ipDevices.putWindow(window(99, 's'), ALLOW)).toBe(false);
        for (const id of ['ipd-2', 'ipd-3', 'ipd-99']) expect(await ipDevices.getWindow(id)).toBeNull();
        // Its own flag wins over the default.
        expect(await ipDevices.putWindow(window(4, 's'), DENY)).toBe(true);
      });

      it('answers many windows at once, each by its own device\'s state', async () => {
        const ipDevices = store();
        const n = 60;
        for (let i = 0; i < n; i++) await ipDevices.create(ipDevice(i, i % 3 === 1 ? { claimingAllowed: false } : {}));
        for (let i = 2; i < n; i += 3) {
          const device = await ipDevices.get(`ipd-${i}`);
          await ipDevices.update(`ipd-${i}`, { applicationId: 'app-1' }, { expectedVersion: device?.version ?? 0 });
        }
        const results = await Promise.all(Array.from({ length: n }, (_, i) => ipDevices.putWindow(window(i, `s${i}`), ALLOW)));
        expect(results).toEqual(Array.from({ length: n }, (_, i) => i % 3 === 0));
        for (let i = 0; i < n; i++) expect((await ipDevices.getWindow(`ipd-${i}`))?.secret ?? null).toBe(i % 3 === 0 ? `s${i}` : null);
      });

      it('finds a device by its token hash, and no longer by the old one once it changed', async () => {
        const ipDevices = store();
        const created = await ipDevices.create(ipDevice(1));
        expect(await ipDevices.getByTokenHash(ipDevice(1).accessTokenHash as string)).toEqual(created);
        expect(await ipDevices.getByTokenHash('f'.repeat(64))).toBeNull();
        await ipDevices.update(created.id, { accessTokenHash: 'b'.repeat(64) }, { expectedVersion: created.version });
        expect(await ipDevices.getByTokenHash(ipDevice(1).accessTokenHash as string)).toBeNull();
        expect((await ipDevices.getByTokenHash('b'.repeat(64)))?.id).toBe(created.id);
      });
    });
  }
}
