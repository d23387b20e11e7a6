import type { DeviceRecord } from './device.js';

/** What the management API and CLI show of a device: an allow-list, never key material. */
export interface DeviceView {
  readonly devEui: string;
  readonly joinEui: string;
  readonly macVersion: string;
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly resetsJoinNonces: boolean;
  readonly rootKeys: { readonly appKey: boolean; readonly nwkKey: boolean };
  readonly nonces: {
    readonly nextJoinNonce: number;
    readonly lastDevNonce: number | null;
    readonly usedDevNonces: readonly number[];
  };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Projects a stored device onto its public view. */
export function toDeviceView(device: DeviceRecord): DeviceView {
  return {
    devEui: device.devEui,
    joinEui: device.joinEui,
    macVersion: device.macVersion,
    homeNetId: device.homeNetId,
    homeNsId: device.homeNsId,
    asId: device.asId,
    resetsJoinNonces: device.resetsJoinNonces,
    rootKeys: { appKey: device.appKey !== null, nwkKey: device.nwkKey !== null },
    nonces: {
      nextJoinNonce: device.lastJoinNonce + 1,
      lastDevNonce: device.lastDevNonce,
      usedDevNonces: device.usedDevNonces,
    },
    createdAt: device.createdAt.toISOString(),
    updatedAt: device.updatedAt.toISOString(),
  };
}
