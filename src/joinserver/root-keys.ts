import { AesKey } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import type { DeviceRecord, KeyVault } from './ports.js';

/** Opens a device's root keys from the vault; a key that is not in custody comes back null. */
export function openRootKeys(vault: KeyVault, device: DeviceRecord): { appKey: AesKey | null; nwkKey: AesKey | null } {
  return {
    appKey: device.appKey === null ? null : AesKey.fromBytes(vault.open(device.appKey, sealContext.deviceKey(device.devEui, 'appKey'))),
    nwkKey: device.nwkKey === null ? null : AesKey.fromBytes(vault.open(device.nwkKey, sealContext.deviceKey(device.devEui, 'nwkKey'))),
  };
}
