import type { Eui64 } from '../lorawan/index.js';
import { JoinServerError } from './errors.js';
import type { JoinServerDeps } from './join-server-deps.js';
import type { PeerRecord } from './ports.js';

export interface HomeNsAnswer {
  readonly homeNetId: string;
  readonly homeNsId: string | null;
}

/** Serves one HomeNSReq: any authenticated Network Server may learn a device's home NetID (roaming). */
export async function handleHomeNs(deps: JoinServerDeps, caller: PeerRecord, devEui: Eui64): Promise<HomeNsAnswer> {
  if (caller.kind !== 'ns') throw new JoinServerError('unknown_sender', 'only a Network Server peer may send HomeNSReq');
  const device = await deps.devices.get(devEui.toHex());
  if (device === null) throw new JoinServerError('unknown_dev_eui', `no device with DevEUI ${devEui.toHex()}`);
  if (device.homeNetId === null) {
    throw new JoinServerError('activation_disallowed', 'this device has no home Network Server');
  }
  return { homeNetId: device.homeNetId, homeNsId: device.homeNsId };
}
