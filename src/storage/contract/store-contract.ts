/**
 * The storage contract: one vitest suite every dialect must pass. `sqlite.test.ts` and
 * `postgres.test.ts` call {@link describeStoreContract} with a way to open a fresh database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceRecord, NewDevice } from '../../devices/device.js';
import { type CreateStoresOptions, createStores, type Stores } from '../create-stores.js';
import type { DatabaseHandle } from '../database-handle.js';
import { migrateToLatest } from '../migrate-to-latest.js';
import { describeApiKeyContract } from './api-key-contract.js';
import { describeApplicationContract } from './application-contract.js';
import { describeAttemptContract } from './attempt-contract.js';
import { describeAuditContract } from './audit-contract.js';
import type { ContractContext } from './contract-context.js';
import { describeDeviceContract } from './device-contract.js';
import { describeDeviceCustodyContract } from './device-custody-contract.js';
import { describeDeviceImportContract } from './device-import-contract.js';
import { describeDeviceListingContract } from './device-listing-contract.js';
import { at, fixtures } from './fixtures.js';
import { describeIpDeviceContract } from './ip-device-contract.js';
import { describePeerAndAccountContract } from './peer-account-contract.js';
import { describeSealedValueContract } from './sealed-value-contract.js';
import { describeWebhookContract } from './webhook-contract.js';

export { fixtures };

/** How the contract reaches a dialect. */
export interface StoreContractTarget {
  /** Opens an empty database, migrated or not (the contract migrates it; that must be idempotent). */
  openFresh(): Promise<DatabaseHandle>;
  /** Opens again the database behind `closed`, after the contract closed it. */
  reopen(closed: DatabaseHandle): Promise<DatabaseHandle>;
  /** Passed to createStores (e.g. to test the portable join path too). */
  readonly stores?: CreateStoresOptions;
}

/** Registers the storage contract tests under `describe(name)`. */
export function describeStoreContract(name: string, target: StoreContractTarget): void {
  describe(name, () => {
    let current: { handle: DatabaseHandle; stores: Stores } | undefined;
    const opened: DatabaseHandle[] = [];
    const ctx: ContractContext = {
      get handle() {
        return required().handle;
      },
      get stores() {
        return required().stores;
      },
      createDevice(i: number, overrides: Partial<NewDevice> = {}): Promise<DeviceRecord> {
        return required().stores.devices.create(fixtures.device(i, overrides));
      },
    };
    function required(): { handle: DatabaseHandle; stores: Stores } {
      if (current === undefined) throw new Error('the contract context is only available inside a test');
      return current;
    }

    beforeEach(async () => {
      const handle = await target.openFresh();
      opened.push(handle);
      await migrateToLatest(handle);
      current = { handle, stores: createStores(handle, target.stores ?? {}) };
    });

    afterEach(async () => {
      current = undefined;
      for (const handle of opened.splice(0)) {
        await handle.close();
      }
    });

    describe('migrations', () => {
      it('is a no-op when the schema is up to date', async () => {
        expect(await migrateToLatest(ctx.handle)).toEqual([]);
      });

      it('answers ping', async () => {
        await expect(ctx.stores.ping()).resolves.toBeUndefined();
      });
    });

    describeDeviceContract(ctx);
    describeDeviceCustodyContract(ctx);
    describeDeviceListingContract(ctx);
    describeDeviceImportContract(ctx);
    describeApplicationContract(ctx);
    describePeerAndAccountContract(ctx);
    describeApiKeyContract(ctx);
    describeSealedValueContract(ctx);
    describeAuditContract(ctx);
    describeWebhookContract(ctx);
    describeAttemptContract(ctx);
    describeIpDeviceContract(ctx);

    describe('durability', () => {
      it('keeps data across close and reopen', async () => {
        const { stores, handle } = ctx;
        const device = await ctx.createDevice(1, { resetsJoinNonces: true });
        expect(await stores.devices.commitJoin(fixtures.join(device, '01', at(1)))).toBe(true);
        await stores.peers.create({
          id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null, tokenHash: 'd'.repeat(64),
          certFingerprint: null, kekLabel: null, kek: null,
        });
        await stores.accounts.create({ id: 'a1', username: 'amy', passwordHash: 'h', role: 'admin' });
        await stores.apiKeys.create({ id: 'k1', accountId: 'a1', name: 'ci', keyHash: 'e'.repeat(64), scopes: ['devices:read'], expiresAt: at(30) });
        await stores.apiKeys.touch('k1', at(2));
        const deviceBefore = await stores.devices.get(fixtures.eui(1));
        const sessionBefore = await stores.devices.getSession(fixtures.eui(1), '01');
        const peersBefore = await stores.peers.list();
        const accountsBefore = await stores.accounts.list();
        const keysBefore = await stores.apiKeys.listForAccount('a1');

        await handle.close();
        const reopened = await target.reopen(handle);
        opened.push(reopened);
        expect(await migrateToLatest(reopened)).toEqual([]);
        const again = createStores(reopened, target.stores ?? {});
        expect(await again.devices.get(fixtures.eui(1))).toEqual(deviceBefore);
        expect(await again.devices.getSession(fixtures.eui(1), '01')).toEqual(sessionBefore);
        expect(await again.peers.list()).toEqual(peersBefore);
        expect(await again.accounts.list()).toEqual(accountsBefore);
        expect(await again.apiKeys.listForAccount('a1')).toEqual(keysBefore);
        expect(keysBefore).toHaveLength(1);
      });
    });
  });
}
