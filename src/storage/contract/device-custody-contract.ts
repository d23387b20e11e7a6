/**
 * Contract tests of what migration 0004 gave a device: the new fields, lookups by DevEUI and
 * secure element, compare-and-set and audited updates, and the once-only root-key exposure.
 */
import { describe, expect, it } from 'vitest';
import type { NewAuditEvent } from '../../audit/audit-event.js';
import type { NewDevice, SecureElementRecord } from '../../devices/device.js';
import { AlreadyExistsError } from '../../shared/deed-error.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

const { eui, sealed, device: newDevice } = fixtures;

/** A secure element whose uniqueId ends with `n` (18 lower-case hex digits). */
export function secureElement(n: number, overrides: Partial<SecureElementRecord> = {}): SecureElementRecord {
  return {
    uniqueId: `0123${n.toString(16).padStart(14, '0')}`,
    model: 'ATECC608B',
    partNumber: 'ATECC608B-TNGLORAU-B',
    signerKid: 'ekHC0ZvbkNPRiCbLnCg1TT4kkUWdLaOeA8N7vL7mXes',
    generation: 'B',
    ...overrides,
  };
}

/** Registers the tests of the device fields and operations added with custody and ownership. */
export function describeDeviceCustodyContract(ctx: ContractContext): void {
  describe('devices: custody and ownership fields', () => {
    it('creates a device with every new field, and gets it back as created', async () => {
      const input: NewDevice = newDevice(1, {
        nwkKey: sealed('old:nwk'),
        name: 'Cold room sensor',
        vendorId: '00A1',
        vendorProfileId: '0B02',
        secureElement: secureElement(1, { generation: 'C' }),
        provenance: { format: 'microchip-atecc608', fileSha256: 'ab'.repeat(32), importedBy: 'acme' },
        provisionerId: 'id-acme',
        applicationId: 'greenhouse',
        ownerToken: sealed('old:ownerToken'),
        ownerTokenValidFrom: at(10),
        ownerTokenValidTo: at(50),
      });
      const created = await ctx.stores.devices.create(input);
      expect(created).toEqual({
        ...input,
        lastDevNonce: null,
        usedDevNonces: [],
        lastJoinNonce: 0,
        claimLocked: false,
        rootKeysExposed: null,
        asKek: null,
        // Created straight into an application: claimed from the start.
        claimedAt: input.applicationId === null || input.applicationId === undefined ? null : created.createdAt,
        version: created.version,
        createdAt: created.createdAt,
        updatedAt: created.updatedAt,
      });
      expect(await ctx.stores.devices.get(eui(1))).toEqual(created);
      expect(await ctx.stores.devices.getMany([eui(1)])).toEqual([created]);
    });

    it('leaves the new fields empty when a device is created without them', async () => {
      const created = await ctx.createDevice(1);
      expect(created).toMatchObject({
        name: null, vendorId: null, vendorProfileId: null, secureElement: null, provenance: null, provisionerId: null,
        applicationId: null, ownerToken: null, ownerTokenValidFrom: null, ownerTokenValidTo: null, claimLocked: false,
        rootKeysExposed: null, asKek: null, claimedAt: null,
      });
      expect(await ctx.stores.devices.get(eui(1))).toEqual(created);
    });

    it('refuses a second device with the same secure element, and keeps the first', async () => {
      const first = await ctx.createDevice(1, { secureElement: secureElement(7) });
      const error = await ctx.stores.devices.create(newDevice(2, { secureElement: secureElement(7, { model: 'other' }) })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect((error as AlreadyExistsError).details?.['field']).toBe('seUniqueId');
      expect(await ctx.stores.devices.get(eui(2))).toBeNull();
      expect(await ctx.stores.devices.get(eui(1))).toEqual(first);
      // Any number of devices may have no secure element.
      await ctx.createDevice(3);
      await ctx.createDevice(4);
      expect(await ctx.stores.devices.count()).toBe(3);
    });

    it('gets many devices by DevEUI, whatever the case, skipping unknown and repeated ones', async () => {
      const one = await ctx.createDevice(1);
      const two = await ctx.createDevice(2);
      await ctx.createDevice(3);
      const found = await ctx.stores.devices.getMany([eui(2).toLowerCase(), eui(404), eui(1), eui(2)]);
      expect(found.sort((a, b) => a.devEui.localeCompare(b.devEui))).toEqual([one, two]);
      expect(await ctx.stores.devices.getMany([])).toEqual([]);
      expect(await ctx.stores.devices.getMany([eui(404)])).toEqual([]);
    });

    it('gets many devices by DevEUI beyond one statement\'s worth of keys', async () => {
      for (const i of [0, 700, 1199]) await ctx.createDevice(i);
      const keys = Array.from({ length: 1200 }, (_, i) => eui(i));
      expect((await ctx.stores.devices.getMany(keys)).map((d) => d.devEui).sort()).toEqual([eui(0), eui(700), eui(1199)]);
    });

    it('gets devices by secure element uniqueId, whatever the case, beyond one statement\'s worth', async () => {
      const one = await ctx.createDevice(1, { secureElement: secureElement(1) });
      await ctx.createDevice(2, { secureElement: secureElement(2) });
      const far = await ctx.createDevice(3, { secureElement: secureElement(900) });
      await ctx.createDevice(4);
      const found = await ctx.stores.devices.getBySecureElements([secureElement(1).uniqueId.toUpperCase(), secureElement(404).uniqueId]);
      expect(found).toEqual([one]);
      const many = Array.from({ length: 1000 }, (_, n) => secureElement(n + 3).uniqueId);
      expect(await ctx.stores.devices.getBySecureElements(many)).toEqual([far]);
      expect(await ctx.stores.devices.getBySecureElements([])).toEqual([]);
    });
  });

  describe('devices: update', () => {
    it('patches the ownership and custody fields, and clears them with null', async () => {
      const created = await ctx.createDevice(1, { provisionerId: 'id-acme' });
      const patch = {
        name: 'Renamed',
        appKey: sealed('old:appKey:2'),
        nwkKey: sealed('old:nwkKey:2'),
        ownerToken: sealed('old:ownerToken:2'),
        ownerTokenValidFrom: at(1),
        ownerTokenValidTo: at(2),
        claimLocked: true,
        applicationId: 'greenhouse',
      };
      const updated = await ctx.stores.devices.update(eui(1), patch);
      expect(updated).toEqual({ ...created, ...patch, version: created.version + 1, updatedAt: updated?.updatedAt });
      expect(await ctx.stores.devices.get(eui(1))).toEqual(updated);
      const cleared = await ctx.stores.devices.update(eui(1), {
        name: null, appKey: null, nwkKey: null, ownerToken: null, ownerTokenValidFrom: null, ownerTokenValidTo: null,
        claimLocked: false, applicationId: null,
      });
      expect(cleared).toEqual({ ...created, appKey: null, version: created.version + 2, updatedAt: cleared?.updatedAt });
      // What no patch names stays: the maker's inventory.
      expect(cleared?.provisionerId).toBe('id-acme');
    });

    it('writes only at the expected version: a stale version returns null and writes nothing', async () => {
      const created = await ctx.createDevice(1);
      const first = await ctx.stores.devices.update(eui(1), { name: 'first' }, { expectedVersion: created.version });
      expect(first).toMatchObject({ name: 'first', version: created.version + 1 });
      expect(await ctx.stores.devices.update(eui(1), { name: 'stale', homeNetId: '000042' }, { expectedVersion: created.version })).toBeNull();
      expect(await ctx.stores.devices.get(eui(1))).toEqual(first);
      const second = await ctx.stores.devices.update(eui(1), { name: 'second' }, { expectedVersion: first!.version });
      expect(second).toMatchObject({ name: 'second', version: created.version + 2 });
      expect(await ctx.stores.devices.update(eui(404), { name: 'ghost' }, { expectedVersion: 1 })).toBeNull();
    });

    it('lets one of many concurrent updates against one version win', async () => {
      const created = await ctx.createDevice(1);
      const results = await Promise.all(Array.from({ length: 10 }, (_, n) =>
        ctx.stores.devices.update(eui(1), { name: `writer ${n}` }, { expectedVersion: created.version })));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(winners[0]);
    });

    const tokenChanged = (overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
      at: at(3), actor: 'acme', action: 'device.token_changed', devEui: eui(1), outcome: 'success', details: { change: 'set' }, ...overrides,
    });

    it('appends the audit event with the update', async () => {
      const created = await ctx.createDevice(1);
      const updated = await ctx.stores.devices.update(eui(1), { ownerToken: sealed('old:ownerToken:new') }, { audit: tokenChanged() });
      expect(updated).toMatchObject({ ownerToken: 'old:ownerToken:new', version: created.version + 1 });
      const events = await ctx.stores.audit.list({ limit: 10 });
      expect(events).toEqual([expect.objectContaining({ seq: 1, at: at(3), actor: 'acme', action: 'device.token_changed', devEui: eui(1), details: { change: 'set' } })]);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 1 });
    });

    it('rolls the update back when its audit event cannot be appended', async () => {
      const created = await ctx.createDevice(1);
      await ctx.stores.audit.append(tokenChanged({ devEui: null, action: 'account.created', details: { username: 'acme' } }));
      // checkAuditDetails refuses a detail that names a secret, after the UPDATE ran.
      const refused = tokenChanged({ details: { ownerToken: 'ABCD1234' } });
      await expect(ctx.stores.devices.update(eui(1), {
        name: 'never', claimLocked: true, applicationId: 'x', rootKeysExposed: { at: at(4), by: 'acme' },
      }, { audit: refused }))
        .rejects.toThrow(/secret/);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(created);
      expect(await ctx.stores.audit.list({ limit: 10 })).toHaveLength(1);
      // The store still works, the chain is intact.
      expect(await ctx.stores.devices.update(eui(1), { name: 'later' }, { audit: tokenChanged() })).toMatchObject({ name: 'later' });
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 2 });
    });

    it('appends no audit event when nothing was updated', async () => {
      const created = await ctx.createDevice(1);
      await ctx.stores.devices.update(eui(1), { name: 'moved on' });
      expect(await ctx.stores.devices.update(eui(1), { name: 'stale' }, { expectedVersion: created.version, audit: tokenChanged() })).toBeNull();
      expect(await ctx.stores.devices.update(eui(404), { name: 'ghost' }, { audit: tokenChanged({ devEui: eui(404) }) })).toBeNull();
      expect(await ctx.stores.audit.list({ limit: 10 })).toEqual([]);
    });

    it('clears claim attempts in the update\'s transaction, as recordSuccess does, and not when nothing was updated', async () => {
      const created = await ctx.createDevice(1);
      const keys = [`device:${eui(1)}`, 'client:as-1', 'ip:192.0.2.7'];
      const counted = async () => (await ctx.handle.db.selectFrom('claim_attempts').select('key').orderBy('key').execute()).map((r) => r.key);
      await ctx.stores.attempts.recordFailure(keys, at(1));
      await ctx.stores.devices.update(eui(1), { name: 'moved on' });
      // A stale claim: nothing updated, nothing cleared, nothing audited.
      expect(await ctx.stores.devices.update(eui(1), { name: 'stale' }, {
        expectedVersion: created.version, audit: tokenChanged(), clearAttempts: { keys, at: at(2) },
      })).toBeNull();
      expect(await counted()).toEqual(['client:as-1', `device:${eui(1)}`, 'ip:192.0.2.7']);
      // A failing audit event rolls the clearing back with the update.
      await expect(ctx.stores.devices.update(eui(1), { name: 'rolled back' }, {
        audit: tokenChanged({ details: { ownerToken: 'ABCD1234' } }), clearAttempts: { keys, at: at(2) },
      })).rejects.toThrow(/secret/);
      expect(await counted()).toHaveLength(3);
      const updated = await ctx.stores.devices.update(eui(1), { name: 'claimed' }, { audit: tokenChanged(), clearAttempts: { keys, at: at(3) } });
      expect(updated?.name).toBe('claimed');
      expect(await counted()).toEqual(['ip:192.0.2.7']);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 1 });
    });

    it('records a root-key exposure once: later exports keep the first time and account', async () => {
      const created = await ctx.createDevice(1);
      const first = await ctx.stores.devices.update(eui(1), { rootKeysExposed: { at: at(5), by: 'acme' } });
      expect(first).toMatchObject({ rootKeysExposed: { at: at(5), by: 'acme' }, version: created.version + 1 });
      const second = await ctx.stores.devices.update(eui(1), { rootKeysExposed: { at: at(9), by: 'admin' } });
      expect(second).toMatchObject({ rootKeysExposed: { at: at(5), by: 'acme' }, version: created.version + 2 });
      // Other patches never clear it.
      const renamed = await ctx.stores.devices.update(eui(1), { name: 'still exposed', appKey: null, nwkKey: null });
      expect(renamed?.rootKeysExposed).toEqual({ at: at(5), by: 'acme' });
      expect((await ctx.stores.devices.get(eui(1)))?.rootKeysExposed).toEqual({ at: at(5), by: 'acme' });
    });

    it('records the exposure and its audit event together', async () => {
      await ctx.createDevice(1);
      const audit: NewAuditEvent = {
        at: at(5), actor: 'acme', action: 'device.keys_exported', devEui: eui(1), outcome: 'success', details: { firstExport: true },
      };
      const exposed = await ctx.stores.devices.update(eui(1), { rootKeysExposed: { at: at(5), by: 'acme' } }, { audit });
      expect(exposed?.rootKeysExposed).toEqual({ at: at(5), by: 'acme' });
      await expect(ctx.stores.devices.update(eui(1), { rootKeysExposed: { at: at(6), by: 'admin' } }, {
        audit: { ...audit, actor: 'admin', details: { appKey: 'leak' } },
      })).rejects.toThrow(/secret/);
      expect(await ctx.stores.devices.get(eui(1))).toEqual(exposed);
      expect((await ctx.stores.audit.list({ devEui: eui(1), limit: 10 })).map((e) => e.actor)).toEqual(['acme']);
    });
  });
}
