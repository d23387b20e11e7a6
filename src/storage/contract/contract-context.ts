import type { DeviceRecord, NewDevice } from '../../devices/device.js';
import type { Stores } from '../create-stores.js';
import type { DatabaseHandle } from '../database-handle.js';

/** What each contract test works on: read it inside a test, it changes before every test. */
export interface ContractContext {
  /** This test's fresh, migrated database. */
  readonly handle: DatabaseHandle;
  /** createStores(handle) with the target's options. */
  readonly stores: Stores;
  /** Creates `fixtures.device(i, overrides)` through the store. */
  createDevice(i: number, overrides?: Partial<NewDevice>): Promise<DeviceRecord>;
}
