/** Contract tests of SealedValueStore (master-key rotation). */
import { describe, expect, it } from 'vitest';
import type { Sealed } from '../../devices/device.js';
import { sealContext } from '../../keyvault/seal-context.js';
import type { DatabaseHandle } from '../database-handle.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

const { eui, sealed, session: newSession, join } = fixtures;

/** Registers the SealedValueStore tests. */
export function describeSealedValueContract(ctx: ContractContext): void {
  describe('sealed values', () => {
    /** Every sealed value of a small data set, by the context it was sealed under. */
    async function seed(): Promise<Map<string, string>> {
      const expected = new Map<string, string>();
      for (let i = 0; i < 5; i++) {
        const devEui = eui(i);
        const device = await ctx.createDevice(i, {
          nwkKey: i % 2 === 0 ? sealed(`old:${devEui}:nwkKey`) : null,
          ownerToken: i % 3 === 0 ? sealed(`old:${devEui}:ownerToken`) : null,
        });
        expected.set(sealContext.deviceKey(devEui, 'appKey'), `old:${devEui}:appKey`);
        if (device.nwkKey !== null) expected.set(sealContext.deviceKey(devEui, 'nwkKey'), device.nwkKey);
        if (device.ownerToken !== null) expected.set(sealContext.ownerToken(devEui), device.ownerToken);
        for (const [n, v11] of [[1, false], [2, true]] as const) {
          const id = `${i}${n}`;
          const current = (await ctx.stores.devices.get(devEui))!;
          const fields = v11
            ? { nwkSKey: null, fNwkSIntKey: sealed(`old:${id}:f`), sNwkSIntKey: sealed(`old:${id}:s`), nwkSEncKey: sealed(`old:${id}:e`) }
            : {};
          const session = newSession(devEui, id, at(n), { ...fields, appSKey: sealed(`old:${id}:a`) });
          expect(await ctx.stores.devices.commitJoin({ ...join(current, id, at(n)), session })).toBe(true);
          for (const field of ['nwkSKey', 'fNwkSIntKey', 'sNwkSIntKey', 'nwkSEncKey', 'appSKey'] as const) {
            const value = session[field];
            if (value !== null) expected.set(sealContext.sessionKey(devEui, id, field), value);
          }
        }
      }
      await ctx.stores.peers.create({
        id: 'as:one', kind: 'as', netId: null, nsId: null, asId: 'one', tokenHash: null, certFingerprint: null,
        kekLabel: 'k', kek: sealed('old:as:one:kek'),
      });
      await ctx.stores.peers.create({
        id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null, tokenHash: null, certFingerprint: null,
        kekLabel: null, kek: null,
      });
      expected.set(sealContext.peerKek('as:one'), 'old:as:one:kek');
      return expected;
    }

    /** Every sealed value now stored, by context (read back through the ports). */
    async function stored(): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      for (const device of await ctx.stores.devices.list({ limit: 1000 })) {
        if (device.appKey !== null) found.set(sealContext.deviceKey(device.devEui, 'appKey'), device.appKey);
        if (device.nwkKey !== null) found.set(sealContext.deviceKey(device.devEui, 'nwkKey'), device.nwkKey);
        if (device.ownerToken !== null) found.set(sealContext.ownerToken(device.devEui), device.ownerToken);
        for (const id of ['1', '2'].map((n) => `${Number.parseInt(device.devEui.slice(-2), 16)}${n}`)) {
          const session = await ctx.stores.devices.getSession(device.devEui, id);
          for (const field of ['nwkSKey', 'fNwkSIntKey', 'sNwkSIntKey', 'nwkSEncKey', 'appSKey'] as const) {
            const value = session?.[field];
            if (value !== null && value !== undefined) found.set(sealContext.sessionKey(device.devEui, id, field), value);
          }
        }
      }
      for (const peer of await ctx.stores.peers.list()) {
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
      const result = await ctx.stores.sealedValues.resealAll(
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
      expect(await ctx.stores.sealedValues.resealAll(rotate, { batchSize: 100 })).toEqual({ examined: before.size, resealed: 0 });
    });

    it('resumes after an interruption', async () => {
      const before = await seed();
      let calls = 0;
      const interrupted = ctx.stores.sealedValues.resealAll(
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
      const resumed = await ctx.stores.sealedValues.resealAll(rotate, { batchSize: 2 });
      expect(resumed).toEqual({ examined: before.size, resealed: before.size - partial });
      for (const value of (await stored()).values()) {
        expect(value).toMatch(/^new:/);
      }
    });

    it('does not overwrite a value changed between batches', async () => {
      const before = await seed();
      const later = eui(4);
      let changed = false;
      const result = await ctx.stores.sealedValues.resealAll(rotate, {
        batchSize: 1,
        onProgress: async () => {
          if (changed) return;
          changed = true;
          // After the first batch: a device further on gets a value sealed by someone else.
          await ctx.handle.db.updateTable('devices').set({ app_key: sealed('new:by-someone-else') }).where('dev_eui', '=', later).execute();
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
      const concurrent = await startConcurrentWrite(ctx.handle, target, sealed('new:concurrent'));
      let fired = false;
      try {
        await ctx.stores.sealedValues.resealAll(
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
      expect((await ctx.stores.devices.get(target))?.appKey).toBe('new:concurrent');
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
