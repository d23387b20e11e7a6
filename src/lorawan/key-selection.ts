import type { AesKey } from './aes-key.js';
import { LorawanError } from './errors.js';
import { isLorawan11, type MacVersion } from './mac-version.js';

/** The root keys a join uses, by role. For 1.0.x both roles are the same key. */
export interface RootKeys {
  /** Checks the JoinRequest MIC; 1.0.x: also MICs/encrypts the JoinAccept and derives
   * NwkSKey; 1.1: encrypts the JoinAccept and derives JSIntKey, JSEncKey and the network
   * session keys. */
  readonly network: AesKey;
  /** 1.0.x: derives AppSKey (same key as `network`); 1.1: derives AppSKey. */
  readonly application: AesKey;
}

/**
 * Picks the root keys for a join, per "Which root key does what" (spec/lorawan-join.md):
 *
 * | has NwkKey | MAC version | network | application |
 * |---|---|---|---|
 * | no  | 1.0.x | AppKey | AppKey |
 * | yes | 1.0.x | NwkKey | NwkKey |
 * | no  | 1.1   | error `missing_nwk_key` | — |
 * | yes | 1.1   | NwkKey | AppKey (error `missing_app_key` if absent) |
 *
 * A 1.0.x device with neither key fails with `missing_app_key` (AppKey is the 1.0.x root key).
 * @throws LorawanError `missing_nwk_key` or `missing_app_key`
 */
export function selectRootKeys(
  keys: { readonly appKey: AesKey | null; readonly nwkKey: AesKey | null },
  version: MacVersion,
): RootKeys {
  if (isLorawan11(version)) {
    if (!keys.nwkKey) {
      throw new LorawanError('missing_nwk_key', `LoRaWAN ${version} device has no NwkKey`);
    }
    if (!keys.appKey) {
      throw new LorawanError('missing_app_key', `LoRaWAN ${version} device has no AppKey`);
    }
    return { network: keys.nwkKey, application: keys.appKey };
  }
  const root = keys.nwkKey ?? keys.appKey;
  if (!root) {
    throw new LorawanError('missing_app_key', `LoRaWAN ${version} device has no AppKey (nor NwkKey)`);
  }
  return { network: root, application: root };
}
