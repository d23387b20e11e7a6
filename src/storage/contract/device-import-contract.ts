/** Contract tests of bulk import: insertMany (with its audit events) and finishImport. */
import { describe, expect, it } from 'vitest';
import type { NewAuditEvent } from '../../audit/audit-event.js';
import type { DeviceRecord, ImportProvenance, NewDevice } from '../../devices/device.js';
import type { MacVersion } from '../../lorawan/mac-version.js';
import type { ContractContext } from './contract-context.js';
import { fixtures } from './fixtures.js';
import { secureElement } from './device-custody-contract.js';

const { eui, device: newDevice } = fixtures;

const SHA = 'cd'.repeat(32);
const provenance = (fileSha256: string): ImportProvenance => ({ format: 'csv', fileSha256, importedBy: 'acme' });

/** One `device.import` event per created device, as the import use case records them. */
function importEvents(created: readonly DeviceRecord[]): NewAuditEvent[] {
  return created.map((d) => ({
    actor: 'acme', action: 'device.import', devEui: d.devEui, outcome: 'success', details: { format: 'csv' },
  }));
}

/** Registers the insertMany / finishImport tests. */
export function describeDeviceImportContract(ctx: ContractContext): void {
  describe('devices: insertMany', () => {
    /** insertMany with `importEvents`, remembering what the audit callback was given. */
    async function insert(devices: readonly NewDevice[], events = importEvents) {
      const given: string[][] = [];
      const outcomes = await ctx.stores.devices.insertMany(devices, (created) => {
        given.push(created.map((d) => d.devEui));
        return events(created);
      });
      return { outcomes, given };
    }

    it('creates new devices with all their fields, and one audit event each', async () => {
      const batch = [
        newDevice(1, { provisionerId: 'id-acme', provenance: provenance('pending:x'), secureElement: secureElement(1), name: 'one' }),
        newDevice(2, { provisionerId: 'id-acme', provenance: provenance('pending:x'), vendorId: '00A1', vendorProfileId: '0001' }),
      ];
      const { outcomes, given } = await insert(batch);
      expect(outcomes.map((o) => [o.devEui, o.created])).toEqual([[eui(1), true], [eui(2), true]]);
      for (const outcome of outcomes) {
        if (!outcome.created) throw new Error('expected created');
        expect(await ctx.stores.devices.get(outcome.devEui)).toEqual(outcome.device);
      }
      expect(outcomes[0]).toMatchObject({ device: { ...batch[0], claimLocked: false, rootKeysExposed: null } });
      expect(given).toEqual([[eui(1), eui(2)]]);
      const events = await ctx.stores.audit.list({ limit: 10 });
      expect(events.map((e) => [e.action, e.devEui])).toEqual([['device.import', eui(1)], ['device.import', eui(2)]]);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 2 });
    });

    it('reports devices that exist by DevEUI or by secure element as not created, and leaves them alone', async () => {
      const byDevEui = await ctx.createDevice(1, { name: 'original', provisionerId: 'id-other' });
      const bySecureElement = await ctx.createDevice(2, { secureElement: secureElement(2), name: 'holder of se 2' });
      const { outcomes, given } = await insert([
        newDevice(1, { name: 'replacement', provisionerId: 'id-acme', appKey: null }),
        newDevice(3, { secureElement: secureElement(2), name: 'same element, new DevEUI' }),
        newDevice(4, { secureElement: secureElement(4) }),
        newDevice(5),
      ]);
      expect(outcomes.map((o) => [o.devEui, o.created])).toEqual([[eui(1), false], [eui(3), false], [eui(4), true], [eui(5), true]]);
      expect(outcomes[0]).toEqual({ devEui: eui(1), created: false });
      expect(await ctx.stores.devices.get(eui(1))).toEqual(byDevEui);
      expect(await ctx.stores.devices.get(eui(2))).toEqual(bySecureElement);
      expect(await ctx.stores.devices.get(eui(3))).toBeNull();
      expect(given).toEqual([[eui(4), eui(5)]]);
      expect((await ctx.stores.audit.list({ limit: 10 })).map((e) => e.devEui)).toEqual([eui(4), eui(5)]);
      expect(await ctx.stores.devices.count()).toBe(4);
    });

    it('creates the first of two entries with one DevEUI or secure element in a batch', async () => {
      const { outcomes } = await insert([
        newDevice(1, { name: 'first' }),
        newDevice(1, { name: 'second' }),
        newDevice(2, { secureElement: secureElement(9) }),
        newDevice(3, { secureElement: secureElement(9) }),
      ]);
      expect(outcomes.map((o) => [o.devEui, o.created])).toEqual([[eui(1), true], [eui(1), false], [eui(2), true], [eui(3), false]]);
      expect((await ctx.stores.devices.get(eui(1)))?.name).toBe('first');
      expect(await ctx.stores.audit.list({ limit: 10 })).toHaveLength(2);
    });

    it('can run again: a second run creates nothing and records nothing', async () => {
      const batch = [newDevice(1), newDevice(2, { secureElement: secureElement(2) })];
      await insert(batch);
      const before = await ctx.stores.devices.getMany([eui(1), eui(2)]);
      const again = await insert(batch);
      expect(again.outcomes).toEqual([{ devEui: eui(1), created: false }, { devEui: eui(2), created: false }]);
      expect(again.given).toEqual([[]]);
      expect(await ctx.stores.devices.getMany([eui(1), eui(2)])).toEqual(before);
      expect(await ctx.stores.audit.list({ limit: 10 })).toHaveLength(2);
    });

    it('is all or nothing when a device cannot be written mid-way', async () => {
      await ctx.stores.audit.append({ actor: 'admin', action: 'account.created', devEui: null, outcome: 'success', details: { username: 'acme' } });
      const broken = newDevice(3, { macVersion: null as unknown as MacVersion });
      await expect(insert([newDevice(1), newDevice(2), broken, newDevice(4)])).rejects.toThrow();
      expect(await ctx.stores.devices.count()).toBe(0);
      expect(await ctx.stores.audit.list({ limit: 10 })).toHaveLength(1);
      // Nothing is left half-open: the next import works.
      expect((await insert([newDevice(1)])).outcomes).toMatchObject([{ created: true }]);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 2 });
    });

    it('is all or nothing when the audit events cannot be appended', async () => {
      await ctx.createDevice(9);
      const secretDetails = (created: readonly DeviceRecord[]) => created.map((d): NewAuditEvent => ({
        actor: 'acme', action: 'device.import', devEui: d.devEui, outcome: 'success', details: { ownerToken: 'ABCD' },
      }));
      await expect(insert([newDevice(1), newDevice(2)], secretDetails)).rejects.toThrow(/secret/);
      const throwing = (): NewAuditEvent[] => {
        throw new Error('audit callback failed');
      };
      await expect(insert([newDevice(1), newDevice(2)], throwing)).rejects.toThrow('audit callback failed');
      expect(await ctx.stores.devices.getMany([eui(1), eui(2)])).toEqual([]);
      expect(await ctx.stores.devices.count()).toBe(1);
      expect(await ctx.stores.audit.list({ limit: 10 })).toEqual([]);
    });

    it('accepts an empty batch', async () => {
      expect((await insert([])).outcomes).toEqual([]);
      expect(await ctx.stores.audit.list({ limit: 10 })).toEqual([]);
    });
  });

  describe('devices: finishImport', () => {
    it('stamps the file hash on the marker\'s devices and on the listed pending ones only', async () => {
      await ctx.createDevice(1, { provenance: provenance('pending:run-2') });
      await ctx.createDevice(2, { provenance: provenance('pending:run-2') });
      await ctx.createDevice(3, { provenance: provenance('pending:run-1') });
      await ctx.createDevice(4, { provenance: provenance('pending:run-1') });
      await ctx.createDevice(5, { provenance: provenance('ef'.repeat(32)) });
      await ctx.createDevice(6);
      await ctx.createDevice(7, { provenance: provenance('pending:someone-else') });
      await ctx.stores.devices.finishImport('pending:run-2', [eui(3).toLowerCase(), eui(5), eui(6), eui(404)], SHA);
      const hashes = Object.fromEntries((await ctx.stores.devices.list({ limit: 10 })).map((d) => [d.devEui, d.provenance?.fileSha256 ?? null]));
      expect(hashes).toEqual({
        [eui(1)]: SHA,
        [eui(2)]: SHA,
        [eui(3)]: SHA,
        [eui(4)]: 'pending:run-1',
        [eui(5)]: 'ef'.repeat(32),
        [eui(6)]: null,
        [eui(7)]: 'pending:someone-else',
      });
      // Format and importer stay.
      expect((await ctx.stores.devices.get(eui(1)))?.provenance).toEqual({ ...provenance(SHA) });
    });

    it('does nothing when no device carries the marker and none is listed', async () => {
      const device = await ctx.createDevice(1, { provenance: provenance('pending:run-1') });
      await ctx.stores.devices.finishImport('pending:run-9', [], SHA);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(device);
    });
  });
}
