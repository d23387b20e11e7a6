/**
 * The storage contract: one vitest suite every dialect must pass. `sqlite.test.ts` and
 * `postgres.test.ts` call {@link describeStoreContract} with a way to open a fresh database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../accounts/account.js';
import type { DeviceRecord, JoinCommit, NewDevice, Sealed, SessionRecord } from '../../devices/device.js';
import { sealContext } from '../../keyvault/seal-context.js';
import type { NewPeer } from '../../peers/peer.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import { type CreateStoresOptions, createStores, type Stores } from '../create-stores.js';
import type { DatabaseHandle } from '../database-handle.js';
import { migrateToLatest } from '../migrate-to-latest.js';

/** How the contract reaches a dialect. */
export interface StoreContractTarget {
  /** Opens a new, empty database (not yet migrated: the contract migrates it). */
  openFresh(): Promise<DatabaseHandle>;
  /** Opens again the database behind `closed`, after the contract closed it. */
  reopen(closed: DatabaseHandle): Promise<DatabaseHandle>;
  /** Passed to createStores (e.g. to compare SQLite's fast path with the portable one). */
  readonly stores?: CreateStoresOptions;
}

/** Test helpers shared with the dialect-specific suites. */
export const fixtures = {
  eui: (i: number): string => (0x70b3d57ed0000000n + BigInt(i)).toString(16).toUpperCase().padStart(16, '0'),
  sealed: (text: string): Sealed => text as Sealed,
  device(i: number, overrides: Partial<NewDevice> = {}): NewDevice {
    return {
      devEui: fixtures.eui(i),
      joinEui: '70B3D57ED0001234',
      macVersion: '1.0.3',
      appKey: fixtures.sealed(`old:${fixtures.eui(i)}:appKey`),
      nwkKey: null,
      homeNetId: '000013',
      homeNsId: null,
      asId: null,
      resetsJoinNonces: false,
      ...overrides,
    };
  },
  session(devEui: string, sessionKeyId: string, createdAt: Date, overrides: Partial<SessionRecord> = {}): SessionRecord {
    return {
      devEui,
      sessionKeyId,
      macVersion: '1.0.3',
      joinNonce: 1,
      devNonce: 1,
      netId: '000013',
      asId: 'as.example.com',
      nwkSKey: fixtures.sealed(`old:${devEui}:${sessionKeyId}:nwkSKey`),
      fNwkSIntKey: null,
      sNwkSIntKey: null,
      nwkSEncKey: null,
      appSKey: fixtures.sealed(`old:${devEui}:${sessionKeyId}:appSKey`),
      createdAt,
      ...overrides,
    };
  },
  /** A join against `device`'s current version, with the next nonces. */
  join(device: DeviceRecord, sessionKeyId: string, createdAt: Date, keepSessions = 10): JoinCommit {
    const devNonce = (device.lastDevNonce ?? 0) + 1;
    const joinNonce = device.lastJoinNonce + 1;
    return {
      devEui: device.devEui,
      expectedVersion: device.version,
      lastDevNonce: devNonce,
      usedDevNonces: [...device.usedDevNonces, devNonce],
      lastJoinNonce: joinNonce,
      session: fixtures.session(device.devEui, sessionKeyId, createdAt, { joinNonce, devNonce }),
      keepSessions,
    };
  },
};

const { eui, sealed, device: newDevice, session: newSession, join } = fixtures;
const at = (second: number): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, second));

/** Registers the storage contract tests under `describe(name)`. */
export function describeStoreContract(name: string, target: StoreContractTarget): void {
  describe(name, () => {
    let handle: DatabaseHandle;
    let stores: Stores;
    const opened: DatabaseHandle[] = [];

    beforeEach(async () => {
      handle = await target.openFresh();
      opened.push(handle);
      await migrateToLatest(handle);
      stores = createStores(handle, target.stores ?? {});
    });

    afterEach(async () => {
      for (const h of opened.splice(0)) {
        await h.close();
      }
    });

    async function createDevice(i: number, overrides: Partial<NewDevice> = {}): Promise<DeviceRecord> {
      return stores.devices.create(newDevice(i, overrides));
    }

    describe('migrations', () => {
      it('is a no-op when the schema is up to date', async () => {
        expect(await migrateToLatest(handle)).toEqual([]);
      });

      it('answers ping', async () => {
        await expect(stores.ping()).resolves.toBeUndefined();
      });
    });

    describe('devices', () => {
      it('creates a device with empty LoRaWAN state, and gets it back', async () => {
        const input = newDevice(1, {
          nwkKey: sealed('old:nwk'),
          homeNsId: 'ns.example.com',
          asId: 'as.example.com',
          resetsJoinNonces: true,
          macVersion: '1.1',
        });
        const created = await stores.devices.create(input);
        expect(created).toMatchObject({ ...input, lastDevNonce: null, usedDevNonces: [], lastJoinNonce: 0 });
        expect(created.version).toBeTypeOf('number');
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());
        expect(await stores.devices.get(input.devEui)).toEqual(created);
      });

      it('maps booleans both ways', async () => {
        await createDevice(1, { resetsJoinNonces: true });
        await createDevice(2, { resetsJoinNonces: false });
        expect((await stores.devices.get(eui(1)))?.resetsJoinNonces).toBe(true);
        expect((await stores.devices.get(eui(2)))?.resetsJoinNonces).toBe(false);
      });

      it('returns null for an unknown device', async () => {
        expect(await stores.devices.get(eui(404))).toBeNull();
      });

      it('stores EUIs upper-case and finds them whatever the case', async () => {
        await stores.devices.create(newDevice(1, { devEui: eui(1).toLowerCase(), joinEui: 'abcdef0123456789' }));
        const found = await stores.devices.get(eui(1).toLowerCase());
        expect(found?.devEui).toBe(eui(1));
        expect(found?.joinEui).toBe('ABCDEF0123456789');
      });

      it('refuses a duplicate DevEUI with AlreadyExistsError', async () => {
        await createDevice(1);
        const error = await stores.devices.create(newDevice(1, { joinEui: '0000000000000001' })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect(error).toMatchObject({ code: 'already_exists' });
        expect(await stores.devices.count()).toBe(1);
      });

      it('lists by DevEUI with an exclusive cursor, and counts', async () => {
        const order = [7, 3, 19, 0, 12, 5, 24, 1, 16, 9, 21, 2, 14, 8, 23, 4, 11, 18, 6, 22, 10, 13, 17, 15, 20];
        for (const i of order) {
          await createDevice(i);
        }
        expect(await stores.devices.count()).toBe(25);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await stores.devices.list(after === undefined ? { limit: 10 } : { limit: 10, after });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(10);
          seen.push(...page.map((d) => d.devEui));
          after = page.at(-1)?.devEui;
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => eui(i)));
        expect((await stores.devices.list({ limit: 5, after: eui(22) })).map((d) => d.devEui)).toEqual([eui(23), eui(24)]);
        expect(await stores.devices.list({ limit: 5, after: eui(24) })).toEqual([]);
      });

      it('updates only the patched settings and bumps version and updatedAt', async () => {
        const created = await createDevice(1, { homeNsId: 'ns.example.com', asId: 'as.example.com' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const updated = await stores.devices.update(eui(1), { homeNetId: '000042', asId: null, resetsJoinNonces: true });
        expect(updated).toEqual({
          ...created,
          homeNetId: '000042',
          asId: null,
          resetsJoinNonces: true,
          version: created.version + 1,
          updatedAt: updated?.updatedAt,
        });
        expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
        expect(await stores.devices.get(eui(1))).toEqual(updated);

        const again = await stores.devices.update(eui(1), { macVersion: '1.0.4' });
        expect(again).toMatchObject({ macVersion: '1.0.4', homeNetId: '000042', homeNsId: 'ns.example.com', version: created.version + 2 });
      });

      it('returns null when updating an unknown device', async () => {
        expect(await stores.devices.update(eui(404), { homeNetId: '000001' })).toBeNull();
      });

      it('removes a device and its sessions', async () => {
        const device = await createDevice(1);
        const other = await createDevice(2);
        expect(await stores.devices.commitJoin(join(device, 'AA01', at(1)))).toBe(true);
        expect(await stores.devices.commitJoin(join(other, 'BB01', at(1)))).toBe(true);
        expect(await stores.devices.remove(eui(1))).toBe(true);
        expect(await stores.devices.get(eui(1))).toBeNull();
        expect(await stores.devices.getSession(eui(1), 'AA01')).toBeNull();
        expect(await stores.devices.countSessions(eui(1))).toBe(0);
        expect(await stores.devices.countSessions(eui(2))).toBe(1);
        expect(await stores.devices.remove(eui(1))).toBe(false);
        // A device created again under the same DevEUI starts without the old sessions.
        await createDevice(1);
        expect(await stores.devices.countSessions(eui(1))).toBe(0);
      });
    });

    describe('commitJoin', () => {
      it('writes the nonce state and the session, and bumps version', async () => {
        const device = await createDevice(1, { macVersion: '1.1' });
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
        expect(await stores.devices.commitJoin({ ...commit, session })).toBe(true);
        const after = await stores.devices.get(eui(1));
        expect(after).toMatchObject({
          lastDevNonce: 1,
          usedDevNonces: [1],
          lastJoinNonce: 1,
          version: device.version + 1,
        });
        expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(device.updatedAt.getTime());
        expect(await stores.devices.getSession(eui(1), 'ABCDEF01')).toEqual(session);
        expect(await stores.devices.getSession(eui(1), 'abcdef01')).toEqual(session);
        expect(await stores.devices.countSessions(eui(1))).toBe(1);
      });

      it('accepts a null lastDevNonce (devices that reset their nonces)', async () => {
        const device = await createDevice(1, { resetsJoinNonces: true });
        expect(await stores.devices.commitJoin({ ...join(device, '01', at(1)), lastDevNonce: null, usedDevNonces: [] })).toBe(true);
        expect(await stores.devices.get(eui(1))).toMatchObject({ lastDevNonce: null, usedDevNonces: [], lastJoinNonce: 1 });
      });

      it('writes nothing against a stale version', async () => {
        const device = await createDevice(1);
        expect(await stores.devices.commitJoin(join(device, '01', at(1)))).toBe(true);
        const current = await stores.devices.get(eui(1));
        // `device` is now stale: a second join computed from it must not land.
        const stale = join(device, '02', at(2));
        expect(await stores.devices.commitJoin(stale)).toBe(false);
        expect(await stores.devices.get(eui(1))).toEqual(current);
        expect(await stores.devices.getSession(eui(1), '02')).toBeNull();
        expect(await stores.devices.countSessions(eui(1))).toBe(1);
      });

      it('returns false for an unknown device', async () => {
        const ghost: DeviceRecord = { ...(await createDevice(1)), devEui: eui(404) };
        expect(await stores.devices.commitJoin(join(ghost, '01', at(1)))).toBe(false);
        expect(await stores.devices.countSessions(eui(404))).toBe(0);
      });

      it('keeps only the newest keepSessions sessions', async () => {
        await createDevice(1);
        for (let n = 1; n <= 5; n++) {
          const current = (await stores.devices.get(eui(1)))!;
          expect(await stores.devices.commitJoin(join(current, `0${n}`, at(n), 3))).toBe(true);
        }
        expect(await stores.devices.countSessions(eui(1))).toBe(3);
        for (const [id, kept] of [['01', false], ['02', false], ['03', true], ['04', true], ['05', true]] as const) {
          expect(await stores.devices.getSession(eui(1), id) !== null, id).toBe(kept);
        }
        // Fewer to keep from now on: only the newest one stays.
        const current = (await stores.devices.get(eui(1)))!;
        expect(await stores.devices.commitJoin(join(current, '06', at(6), 1))).toBe(true);
        expect(await stores.devices.countSessions(eui(1))).toBe(1);
        expect(await stores.devices.getSession(eui(1), '06')).not.toBeNull();
      });

      it('breaks createdAt ties by session key id, and always keeps the session it inserts', async () => {
        await createDevice(1);
        for (const id of ['0A', '0C', '0B']) {
          const current = (await stores.devices.get(eui(1)))!;
          expect(await stores.devices.commitJoin(join(current, id, at(10), 2))).toBe(true);
        }
        // Same timestamp: 0C is "newer" than 0A; 0B was just inserted.
        expect(await stores.devices.getSession(eui(1), '0A')).toBeNull();
        expect(await stores.devices.getSession(eui(1), '0C')).not.toBeNull();
        expect(await stores.devices.getSession(eui(1), '0B')).not.toBeNull();
        // The clock stepped back: the new session is still the one kept.
        const current = (await stores.devices.get(eui(1)))!;
        expect(await stores.devices.commitJoin(join(current, '0D', at(1), 1))).toBe(true);
        expect(await stores.devices.countSessions(eui(1))).toBe(1);
        expect(await stores.devices.getSession(eui(1), '0D')).not.toBeNull();
      });

      it('refuses a duplicate session key id and writes nothing', async () => {
        const device = await createDevice(1);
        expect(await stores.devices.commitJoin(join(device, '01', at(1)))).toBe(true);
        const current = (await stores.devices.get(eui(1)))!;
        const error = await stores.devices.commitJoin(join(current, '01', at(2))).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect(await stores.devices.get(eui(1))).toEqual(current);
        expect((await stores.devices.getSession(eui(1), '01'))?.createdAt).toEqual(at(1));
      });

      it('lets exactly one of 100 concurrent commits against one version win', async () => {
        const device = await createDevice(1);
        const commits = Array.from({ length: 100 }, (_, n) => join(device, n.toString(16).padStart(4, '0').toUpperCase(), at(1), 200));
        const results = await Promise.all(commits.map((c) => stores.devices.commitJoin(c)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await stores.devices.countSessions(eui(1))).toBe(1);
        expect((await stores.devices.get(eui(1)))?.version).toBe(device.version + 1);
      });
    });

    describe('peers', () => {
      const ns = (overrides: Partial<NewPeer> = {}): NewPeer => ({
        id: 'ns:000013',
        kind: 'ns',
        netId: '000013',
        nsId: null,
        asId: null,
        tokenHash: 'a'.repeat(64),
        certFingerprint: null,
        kekLabel: null,
        kek: null,
        ...overrides,
      });
      const as = (overrides: Partial<NewPeer> = {}): NewPeer => ({
        id: 'as:as.example.com',
        kind: 'as',
        netId: null,
        nsId: null,
        asId: 'as.example.com',
        tokenHash: null,
        certFingerprint: 'F'.repeat(64),
        kekLabel: 'as-kek',
        kek: sealed('old:kek'),
        ...overrides,
      });

      it('creates, gets, lists by id and removes peers', async () => {
        const a = await stores.peers.create(ns());
        const b = await stores.peers.create(as());
        expect(a).toMatchObject(ns());
        expect(a.createdAt).toBeInstanceOf(Date);
        expect(await stores.peers.get('ns:000013')).toEqual(a);
        expect(await stores.peers.list()).toEqual([b, a]);
        expect(await stores.peers.remove('ns:000013')).toBe(true);
        expect(await stores.peers.remove('ns:000013')).toBe(false);
        expect(await stores.peers.get('ns:000013')).toBeNull();
        expect(await stores.peers.list()).toEqual([b]);
      });

      it('finds peers by token hash and certificate fingerprint', async () => {
        const a = await stores.peers.create(ns());
        const b = await stores.peers.create(as());
        expect(await stores.peers.findByTokenHash('a'.repeat(64))).toEqual(a);
        expect(await stores.peers.findByCertFingerprint('F'.repeat(64))).toEqual(b);
        expect(await stores.peers.findByTokenHash('b'.repeat(64))).toBeNull();
        expect(await stores.peers.findByCertFingerprint('E'.repeat(64))).toBeNull();
      });

      it('refuses a taken id, token hash or fingerprint, but allows many peers without them', async () => {
        await stores.peers.create(ns());
        await stores.peers.create(as());
        for (const duplicate of [
          ns({ tokenHash: 'c'.repeat(64) }),
          ns({ id: 'ns:000014', netId: '000014' }),
          as({ id: 'as:other', asId: 'other' }),
        ]) {
          await expect(stores.peers.create(duplicate)).rejects.toBeInstanceOf(AlreadyExistsError);
        }
        await stores.peers.create(ns({ id: 'ns:000015', netId: '000015', tokenHash: null }));
        await stores.peers.create(ns({ id: 'ns:000016', netId: '000016', tokenHash: null }));
        await stores.peers.create(as({ id: 'as:x', asId: 'x', certFingerprint: null }));
        await stores.peers.create(as({ id: 'as:y', asId: 'y', certFingerprint: null }));
        expect(await stores.peers.list()).toHaveLength(6);
      });
    });

    describe('accounts', () => {
      const account = (username: string, overrides: Partial<AccountRecord> = {}) => ({
        id: `id-${username}`,
        username,
        passwordHash: `$scrypt$${username}`,
        role: 'owner' as const,
        ...overrides,
      });

      it('creates, finds, lists by username and counts accounts', async () => {
        const zed = await stores.accounts.create(account('zed', { role: 'admin' }));
        const amy = await stores.accounts.create({ ...account('amy', { role: 'provisioner' }), disabled: true });
        expect(zed).toMatchObject({ ...account('zed', { role: 'admin' }), disabled: false });
        expect(amy.disabled).toBe(true);
        expect(await stores.accounts.getByUsername('zed')).toEqual(zed);
        expect(await stores.accounts.getByUsername('nobody')).toBeNull();
        expect(await stores.accounts.list()).toEqual([amy, zed]);
        expect(await stores.accounts.count()).toBe(2);
      });

      it('refuses a taken username', async () => {
        await stores.accounts.create(account('amy'));
        await expect(stores.accounts.create({ ...account('amy'), id: 'another-id' })).rejects.toBeInstanceOf(AlreadyExistsError);
        expect(await stores.accounts.count()).toBe(1);
      });

      it('disables and enables accounts', async () => {
        await stores.accounts.create(account('amy'));
        expect(await stores.accounts.setDisabled('amy', true)).toBe(true);
        expect((await stores.accounts.getByUsername('amy'))?.disabled).toBe(true);
        expect(await stores.accounts.setDisabled('amy', false)).toBe(true);
        expect((await stores.accounts.getByUsername('amy'))?.disabled).toBe(false);
        expect(await stores.accounts.setDisabled('nobody', true)).toBe(false);
      });
    });

    describe('sealed values', () => {
      /** Every sealed value of a small data set, by the context it was sealed under. */
      async function seed(): Promise<Map<string, string>> {
        const expected = new Map<string, string>();
        for (let i = 0; i < 5; i++) {
          const devEui = eui(i);
          const device = await createDevice(i, { nwkKey: i % 2 === 0 ? sealed(`old:${devEui}:nwkKey`) : null });
          expected.set(sealContext.deviceKey(devEui, 'appKey'), `old:${devEui}:appKey`);
          if (device.nwkKey !== null) expected.set(sealContext.deviceKey(devEui, 'nwkKey'), device.nwkKey);
          for (const [n, v11] of [[1, false], [2, true]] as const) {
            const id = `${i}${n}`;
            const current = (await stores.devices.get(devEui))!;
            const fields = v11
              ? { nwkSKey: null, fNwkSIntKey: sealed(`old:${id}:f`), sNwkSIntKey: sealed(`old:${id}:s`), nwkSEncKey: sealed(`old:${id}:e`) }
              : {};
            const session = newSession(devEui, id, at(n), { ...fields, appSKey: sealed(`old:${id}:a`) });
            expect(await stores.devices.commitJoin({ ...join(current, id, at(n)), session })).toBe(true);
            for (const field of ['nwkSKey', 'fNwkSIntKey', 'sNwkSIntKey', 'nwkSEncKey', 'appSKey'] as const) {
              const value = session[field];
              if (value !== null) expected.set(sealContext.sessionKey(devEui, id, field), value);
            }
          }
        }
        await stores.peers.create({
          id: 'as:one', kind: 'as', netId: null, nsId: null, asId: 'one', tokenHash: null, certFingerprint: null,
          kekLabel: 'k', kek: sealed('old:as:one:kek'),
        });
        await stores.peers.create({
          id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null, tokenHash: null, certFingerprint: null,
          kekLabel: null, kek: null,
        });
        expected.set(sealContext.peerKek('as:one'), 'old:as:one:kek');
        return expected;
      }

      /** Every sealed value now stored, by context (read back through the ports). */
      async function stored(): Promise<Map<string, string>> {
        const found = new Map<string, string>();
        for (const device of await stores.devices.list({ limit: 1000 })) {
          if (device.appKey !== null) found.set(sealContext.deviceKey(device.devEui, 'appKey'), device.appKey);
          if (device.nwkKey !== null) found.set(sealContext.deviceKey(device.devEui, 'nwkKey'), device.nwkKey);
          for (const id of ['1', '2'].map((n) => `${Number.parseInt(device.devEui.slice(-2), 16)}${n}`)) {
            const session = await stores.devices.getSession(device.devEui, id);
            for (const field of ['nwkSKey', 'fNwkSIntKey', 'sNwkSIntKey', 'nwkSEncKey', 'appSKey'] as const) {
              const value = session?.[field];
              if (value !== null && value !== undefined) found.set(sealContext.sessionKey(device.devEui, id, field), value);
            }
          }
        }
        for (const peer of await stores.peers.list()) {
          if (peer.kek !== null) found.set(sealContext.peerKek(peer.id), peer.kek);
        }
        return found;
      }

      /** Re-seals `old:x` as `new:<context>|x`; leaves anything else alone. */
      const rotate = (value: Sealed, context: string): Sealed | null =>
        value.startsWith('old:') ? sealed(`new:${context}|${value.slice(4)}`) : null;

      it('re-seals every sealed column with its context', async () => {
        const before = await seed();
        const contexts: string[] = [];
        const progress: Array<[number, number]> = [];
        const result = await stores.sealedValues.resealAll(
          (value, context) => {
            contexts.push(context);
            expect(before.get(context)).toBe(value);
            return rotate(value, context);
          },
          { batchSize: 3, onProgress: (examined, resealed) => void progress.push([examined, resealed]) },
        );
        expect(result).toEqual({ examined: before.size, resealed: before.size });
        expect(new Set(contexts)).toEqual(new Set(before.keys()));
        expect(contexts).toHaveLength(before.size);
        const after = await stored();
        expect(after.size).toBe(before.size);
        for (const [context, value] of before) {
          expect(after.get(context)).toBe(`new:${context}|${value.slice(4)}`);
        }
        expect(progress.length).toBeGreaterThan(1);
        expect(progress.at(-1)).toEqual([before.size, before.size]);
        // Nothing left to do.
        expect(await stores.sealedValues.resealAll(rotate, { batchSize: 100 })).toEqual({ examined: before.size, resealed: 0 });
      });

      it('resumes after an interruption', async () => {
        const before = await seed();
        let calls = 0;
        const interrupted = stores.sealedValues.resealAll(
          (value, context) => {
            if (++calls > 7) throw new Error('interrupted');
            return rotate(value, context);
          },
          { batchSize: 2 },
        );
        await expect(interrupted).rejects.toThrow('interrupted');
        const partial = [...(await stored()).values()].filter((v) => v.startsWith('new:')).length;
        expect(partial).toBeGreaterThan(0);
        expect(partial).toBeLessThan(before.size);
        const resumed = await stores.sealedValues.resealAll(rotate, { batchSize: 2 });
        expect(resumed).toEqual({ examined: before.size, resealed: before.size - partial });
        for (const value of (await stored()).values()) {
          expect(value).toMatch(/^new:/);
        }
      });

      it('does not overwrite a value changed between batches', async () => {
        const before = await seed();
        const later = eui(4);
        let changed = false;
        const result = await stores.sealedValues.resealAll(rotate, {
          batchSize: 1,
          onProgress: async () => {
            if (changed) return;
            changed = true;
            // After the first batch: a device further on gets a value sealed by someone else.
            await handle.db.updateTable('devices').set({ app_key: sealed('new:by-someone-else') }).where('dev_eui', '=', later).execute();
          },
        });
        expect(changed).toBe(true);
        expect(result.resealed).toBe(before.size - 1);
        const after = await stored();
        expect(after.get(sealContext.deviceKey(later, 'appKey'))).toBe('new:by-someone-else');
        expect([...after.values()].every((v) => v.startsWith('new:'))).toBe(true);
      });

      it('does not overwrite a value changed between reading and writing a batch', async () => {
        await seed();
        const target = eui(2);
        const context = sealContext.deviceKey(target, 'appKey');
        const concurrent = await startConcurrentWrite(handle, target, sealed('new:concurrent'));
        let fired = false;
        try {
          await stores.sealedValues.resealAll(
            (value, ctx) => {
              if (ctx === context) {
                fired = true;
                concurrent.commitNow();
              }
              return rotate(value, ctx);
            },
            { batchSize: 2 },
          );
        } finally {
          concurrent.commitNow();
          await concurrent.done;
        }
        expect(fired).toBe(true);
        expect((await stores.devices.get(target))?.appKey).toBe('new:concurrent');
      });
    });

    describe('durability', () => {
      it('keeps data across close and reopen', async () => {
        const device = await createDevice(1, { resetsJoinNonces: true });
        expect(await stores.devices.commitJoin(join(device, '01', at(1)))).toBe(true);
        await stores.peers.create({
          id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null, tokenHash: 'd'.repeat(64),
          certFingerprint: null, kekLabel: null, kek: null,
        });
        await stores.accounts.create({ id: 'a1', username: 'amy', passwordHash: 'h', role: 'admin' });
        const deviceBefore = await stores.devices.get(eui(1));
        const sessionBefore = await stores.devices.getSession(eui(1), '01');
        const peersBefore = await stores.peers.list();
        const accountsBefore = await stores.accounts.list();

        await handle.close();
        const reopened = await target.reopen(handle);
        opened.push(reopened);
        expect(await migrateToLatest(reopened)).toEqual([]);
        const again = createStores(reopened, target.stores ?? {});
        expect(await again.devices.get(eui(1))).toEqual(deviceBefore);
        expect(await again.devices.getSession(eui(1), '01')).toEqual(sessionBefore);
        expect(await again.peers.list()).toEqual(peersBefore);
        expect(await again.accounts.list()).toEqual(accountsBefore);
      });
    });
  });
}

/**
 * A write to `devices.app_key` that lands while resealAll holds a batch it has read but not yet
 * written. SQLite: written synchronously the moment `commitNow` is called (from inside the reseal
 * callback). PostgreSQL: the UPDATE runs, uncommitted, before resealAll starts (so resealAll reads
 * the old value) and commits on `commitNow`; resealAll's conditional UPDATE either waits for that
 * commit and then no longer matches, or runs after it and does not match.
 */
async function startConcurrentWrite(
  handle: DatabaseHandle,
  devEui: string,
  value: Sealed,
): Promise<{ commitNow(): void; readonly done: Promise<void> }> {
  if (handle.dialect === 'sqlite') {
    const update = handle.sqlite.prepare('update devices set app_key = ? where dev_eui = ?');
    let written = false;
    return {
      commitNow() {
        if (!written) {
          written = true;
          update.run(value, devEui);
        }
      },
      done: Promise.resolve(),
    };
  }
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const done = handle.db.transaction().execute(async (trx) => {
    await trx.updateTable('devices').set({ app_key: value }).where('dev_eui', '=', devEui).execute();
    locked();
    await released;
  });
  await Promise.race([holding, done]);
  return { commitNow: release, done };
}
