import type { AccountRecord } from '../accounts/account.js';
import { resolveDevice, type DeviceAccessDeps } from './device-access.js';

/** How many session keys Deed keeps for a device (one per accepted join, the newest few). */
export interface DeviceSessionCount {
  readonly devEUI: string;
  readonly sessions: number;
}

/** The session count of a device the account may see (NotFoundError otherwise, as for every device read). */
export async function deviceSessionCount(deps: DeviceAccessDeps, actor: AccountRecord, devEuiInput: unknown): Promise<DeviceSessionCount> {
  const { device } = await resolveDevice(deps, actor, devEuiInput);
  return { devEUI: device.devEui, sessions: await deps.devices.countSessions(device.devEui) };
}
