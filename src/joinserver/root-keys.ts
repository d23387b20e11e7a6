import { AesKey, isLorawan11, type MacVersion } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import type { Sealed } from '../devices/device.js';
import type { JoinDeviceRecord, KeyVault } from './ports.js';

/**
 * Opens the device's root keys a join with `macVersion` uses (see `selectRootKeys`): LoRaWAN 1.1
 * needs both; 1.0.x needs only NwkKey when the device has one, else AppKey, so the other stays
 * sealed. A key that is not in custody (or not needed) comes back null.
 */
export function openRootKeys(vault: KeyVault, device: JoinDeviceRecord, macVersion: MacVersion): { appKey: AesKey | null; nwkKey: AesKey | null } {
  const needsAppKey = isLorawan11(macVersion) || device.nwkKey === null;
  return {
    appKey: device.appKey === null || !needsAppKey ? null : openKey(vault, device.appKey, sealContext.deviceKey(device.devEui, 'appKey')),
    nwkKey: device.nwkKey === null ? null : openKey(vault, device.nwkKey, sealContext.deviceKey(device.devEui, 'nwkKey')),
  };
}

function openKey(vault: KeyVault, sealed: Sealed, context: string): AesKey {
  const bytes = vault.open(sealed, context);
  try {
    return AesKey.fromBytes(bytes);
  } finally {
    bytes.fill(0);
  }
}
