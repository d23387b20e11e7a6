/** Contract tests of DeviceStore: devices, sessions and the atomic join commit. */
import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../devices/device.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

const { eui, sealed, device: newDevice, session: newSession, join } = fixtures;

/** Registers the DeviceStore tests; `ctx` yields each test's fresh, migrated database. */
export function describeDeviceContract(ctx: ContractContext): void {
  describe('devices', () => {
    it('creates a device with empty LoRaWAN state, and gets it back', async () => {
      const input = newDevice(1, {
        nwkKey: sealed('old:nwk'),
        homeNsId: 'ns.example.com',
        asId: 'as.example.com',
        resetsJoinNonces: true,
        macVersion: '1.1',
      });
      const created = await ctx.stores.devices.create(input);
      expect(created).toMatchObject({ ...input, lastDevNonce: null, usedDevNonces: [], lastJoinNonce: 0 });
      expect(created.version).toBeTypeOf('number');
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());
      expect(await ctx.stores.devices.get(input.devEui)).toEqual(created);
    });

    it('maps booleans both ways', async () => {
      await ctx.createDevice(1, { resetsJoinNonces: true });
      await ctx.createDevice(2, { resetsJoinNonces: false });
      expect((await ctx.stores.devices.get(eui(1)))?.resetsJoinNonces).toBe(true);
      expect((await ctx.stores.devices.get(eui(2)))?.resetsJoinNonces).toBe(false);
    });

    it('returns null for an unknown device', async () => {
      expect(await ctx.stores.devices.get(eui(404))).toBeNull();
    });

    it('reads what a join needs (getForJoin) exactly as get maps those fields', async () => {
      const input = newDevice(1, {
        appKey: sealed('old:app'), nwkKey: sealed('old:nwk'), homeNsId: 'ns.example.com', asId: 'as.example.com', resetsJoinNonces: true, macVersion: '1.1',
      });
      const created = await ctx.stores.devices.create(input);
      expect(await ctx.stores.devices.commitJoin(join(created, 'AA01', at(1)))).toBe(true);
      const joined = (await ctx.stores.devices.get(eui(1)))!;
      await ctx.stores.devices.update(eui(1), { asKek: { label: 'as-kek', key: sealed('old:kek') } });
      await ctx.createDevice(2);
      for (const devEui of [eui(1), eui(2).toLowerCase()]) {
        const whole = (await ctx.stores.devices.get(devEui))!;
        const forJoin = await ctx.stores.devices.getForJoin(devEui);
        expect(forJoin).toEqual({
          devEui: whole.devEui, joinEui: whole.joinEui, macVersion: whole.macVersion, appKey: whole.appKey, nwkKey: whole.nwkKey,
          homeNetId: whole.homeNetId, homeNsId: whole.homeNsId, asId: whole.asId, resetsJoinNonces: whole.resetsJoinNonces,
          lastDevNonce: whole.lastDevNonce, usedDevNonces: whole.usedDevNonces, lastJoinNonce: whole.lastJoinNonce, version: whole.version, asKek: whole.asKek,
        });
      }
      expect(await ctx.stores.devices.getForJoin(eui(1))).toMatchObject({
        lastDevNonce: joined.lastDevNonce, usedDevNonces: [1], lastJoinNonce: 1, resetsJoinNonces: true, asKek: { label: 'as-kek', key: sealed('old:kek') },
      });
      expect(await ctx.stores.devices.getForJoin(eui(404))).toBeNull();
    });

    it('stores EUIs upper-case and finds them whatever the case', async () => {
      await ctx.stores.devices.create(newDevice(1, { devEui: eui(1).toLowerCase(), joinEui: 'abcdef0123456789' }));
      const found = await ctx.stores.devices.get(eui(1).toLowerCase());
      expect(found?.devEui).toBe(eui(1));
      expect(found?.joinEui).toBe('ABCDEF0123456789');
    });

    it('refuses a duplicate DevEUI with AlreadyExistsError', async () => {
      await ctx.createDevice(1);
      const error = await ctx.stores.devices.create(newDevice(1, { joinEui: '0000000000000001' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect(error).toMatchObject({ code: 'already_exists' });
      expect(await ctx.stores.devices.count()).toBe(1);
    });

    it('lists by DevEUI with an exclusive cursor, and counts', async () => {
      const order = [7, 3, 19, 0, 12, 5, 24, 1, 16, 9, 21, 2, 14, 8, 23, 4, 11, 18, 6, 22, 10, 13, 17, 15, 20];
      for (const i of order) {
        await ctx.createDevice(i);
      }
      expect(await ctx.stores.devices.count()).toBe(25);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await ctx.stores.devices.list(after === undefined ? { limit: 10 } : { limit: 10, after });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(10);
        seen.push(...page.map((d) => d.devEui));
        after = page.at(-1)?.devEui;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => eui(i)));
      expect((await ctx.stores.devices.list({ limit: 5, after: eui(22) })).map((d) => d.devEui)).toEqual([eui(23), eui(24)]);
      expect(await ctx.stores.devices.list({ limit: 5, after: eui(24) })).toEqual([]);
    });

    it('updates only the patched settings and bumps version and updatedAt', async () => {
      const created = await ctx.createDevice(1, { homeNsId: 'ns.example.com', asId: 'as.example.com' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = await ctx.stores.devices.update(eui(1), { homeNetId: '000042', asId: null, resetsJoinNonces: true });
      expect(updated).toEqual({
        ...created,
        homeNetId: '000042',
        asId: null,
        resetsJoinNonces: true,
        version: created.version + 1,
        updatedAt: updated?.updatedAt,
      });
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await ctx.stores.devices.get(eui(1))).toEqual(updated);

      const again = await ctx.stores.devices.update(eui(1), { macVersion: '1.0.4' });
      expect(again).toMatchObject({ macVersion: '1.0.4', homeNetId: '000042', homeNsId: 'ns.example.com', version: created.version + 2 });
    });

    it('returns null when updating an unknown device', async () => {
      expect(await ctx.stores.devices.update(eui(404), { homeNetId: '000001' })).toBeNull();
    });

    it('removes a device and its sessions', async () => {
      const device = await ctx.createDevice(1);
      const other = await ctx.createDevice(2);
      expect(await ctx.stores.devices.commitJoin(join(device, 'AA01', at(1)))).toBe(true);
      expect(await ctx.stores.devices.commitJoin(join(other, 'BB01', at(1)))).toBe(true);
      expect(await ctx.stores.devices.remove(eui(1))).toBe(true);
      expect(await ctx.stores.devices.get(eui(1))).toBeNull();
      expect(await ctx.stores.devices.getSession(eui(1), 'AA01')).toBeNull();
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(0);
      expect(await ctx.stores.devices.countSessions(eui(2))).toBe(1);
      expect(await ctx.stores.devices.remove(eui(1))).toBe(false);
      // A device created again under the same DevEUI starts without the old sessions.
      await ctx.createDevice(1);
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(0);
    });
  });

  describe('commitJoin', () => {
    it('writes the nonce state and the session, and bumps version', async () => {
      const device = await ctx.createDevice(1, { macVersion: '1.1' });
      const commit = join(device, 'ABCDEF01', at(1));
      const session = newSession(eui(1), 'ABCDEF01', at(1), {
        macVersion: '1.1',
        nwkSKey: null,
        fNwkSIntKey: sealed('old:f'),
        sNwkSIntKey: sealed('old:s'),
        nwkSEncKey: sealed('old:e'),
        asId: null,
        joinNonce: 1,
        devNonce: 1,
      });
      expect(await ctx.stores.devices.commitJoin({ ...commit, session })).toBe(true);
      const after = await ctx.stores.devices.get(eui(1));
      expect(after).toMatchObject({
        lastDevNonce: 1,
        usedDevNonces: [1],
        lastJoinNonce: 1,
        version: device.version + 1,
      });
      expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(device.updatedAt.getTime());
      expect(await ctx.stores.devices.getSession(eui(1), 'ABCDEF01')).toEqual(session);
      expect(await ctx.stores.devices.getSession(eui(1), 'abcdef01')).toEqual(session);
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(1);
    });

    it('accepts a null lastDevNonce (devices that reset their nonces)', async () => {
      const device = await ctx.createDevice(1, { resetsJoinNonces: true });
      expect(await ctx.stores.devices.commitJoin({ ...join(device, '01', at(1)), lastDevNonce: null, usedDevNonces: [] })).toBe(true);
      expect(await ctx.stores.devices.get(eui(1))).toMatchObject({ lastDevNonce: null, usedDevNonces: [], lastJoinNonce: 1 });
    });

    it('writes nothing against a stale version', async () => {
      const device = await ctx.createDevice(1);
      expect(await ctx.stores.devices.commitJoin(join(device, '01', at(1)))).toBe(true);
      const current = await ctx.stores.devices.get(eui(1));
      // `device` is now stale: a second join computed from it must not land.
      const stale = join(device, '02', at(2));
      expect(await ctx.stores.devices.commitJoin(stale)).toBe(false);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(current);
      expect(await ctx.stores.devices.getSession(eui(1), '02')).toBeNull();
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(1);
    });

    it('returns false for an unknown device', async () => {
      const ghost: DeviceRecord = { ...(await ctx.createDevice(1)), devEui: eui(404) };
      expect(await ctx.stores.devices.commitJoin(join(ghost, '01', at(1)))).toBe(false);
      expect(await ctx.stores.devices.countSessions(eui(404))).toBe(0);
    });

    it('keeps only the newest keepSessions sessions', async () => {
      await ctx.createDevice(1);
      for (let n = 1; n <= 5; n++) {
        const current = (await ctx.stores.devices.get(eui(1)))!;
        expect(await ctx.stores.devices.commitJoin(join(current, `0${n}`, at(n), 3))).toBe(true);
      }
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(3);
      for (const [id, kept] of [['01', false], ['02', false], ['03', true], ['04', true], ['05', true]] as const) {
        expect(await ctx.stores.devices.getSession(eui(1), id) !== null, id).toBe(kept);
      }
      // Fewer to keep from now on: only the newest one stays.
      const current = (await ctx.stores.devices.get(eui(1)))!;
      expect(await ctx.stores.devices.commitJoin(join(current, '06', at(6), 1))).toBe(true);
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(1);
      expect(await ctx.stores.devices.getSession(eui(1), '06')).not.toBeNull();
    });

    it('breaks createdAt ties by session key id, and always keeps the session it inserts', async () => {
      await ctx.createDevice(1);
      for (const id of ['0A', '0C', '0B']) {
        const current = (await ctx.stores.devices.get(eui(1)))!;
        expect(await ctx.stores.devices.commitJoin(join(current, id, at(10), 2))).toBe(true);
      }
      // Same timestamp: 0C is "newer" than 0A; 0B was just inserted.
      expect(await ctx.stores.devices.getSession(eui(1), '0A')).toBeNull();
      expect(await ctx.stores.devices.getSession(eui(1), '0C')).not.toBeNull();
      expect(await ctx.stores.devices.getSession(eui(1), '0B')).not.toBeNull();
      // The clock stepped back: the new session is still the one kept.
      const current = (await ctx.stores.devices.get(eui(1)))!;
      expect(await ctx.stores.devices.commitJoin(join(current, '0D', at(1), 1))).toBe(true);
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(1);
      expect(await ctx.stores.devices.getSession(eui(1), '0D')).not.toBeNull();
    });

    it('refuses a duplicate session key id and writes nothing', async () => {
      const device = await ctx.createDevice(1);
      expect(await ctx.stores.devices.commitJoin(join(device, '01', at(1)))).toBe(true);
      const current = (await ctx.stores.devices.get(eui(1)))!;
      const error = await ctx.stores.devices.commitJoin(join(current, '01', at(2))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(current);
      expect((await ctx.stores.devices.getSession(eui(1), '01'))?.createdAt).toEqual(at(1));
    });

    it('lets exactly one of 100 concurrent commits against one version win', async () => {
      const device = await ctx.createDevice(1);
      const commits = Array.from({ length: 100 }, (_, n) => join(device, n.toString(16).padStart(4, '0').toUpperCase(), at(1), 200));
      const results = await Promise.all(commits.map((c) => ctx.stores.devices.commitJoin(c)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await ctx.stores.devices.countSessions(eui(1))).toBe(1);
      expect((await ctx.stores.devices.get(eui(1)))?.version).toBe(device.version + 1);
    });
  });

}
