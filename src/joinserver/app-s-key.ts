import { AesKey } from '../lorawan/index.js';
import type { Eui64 } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { JoinServerError } from './errors.js';
import { envelopeKey, openDeviceAsKek, openPeerKek, requireKekOrPlain, type KeyEnvelope } from './key-envelope.js';
import type { JoinServerDeps } from './join-server-deps.js';
import type { PeerRecord } from './ports.js';

/** A Backend Interfaces AppSKeyReq, validated by the transport. */
export interface AppSKeyRequestMessage {
  readonly devEui: Eui64;
  /** Upper-case hex. */
  readonly sessionKeyId: string;
  /** SenderID: the AS-ID the Application Server claims to be. */
  readonly senderId: string;
}

export interface AppSKeyAnswer {
  readonly devEui: Eui64;
  readonly sessionKeyId: string;
  readonly appSKey: KeyEnvelope;
}

/**
 * Serves one AppSKeyReq: only the device's own Application Server may fetch the AppSKey of one
 * of its stored sessions, wrapped under that Application Server's KEK.
 */
export async function handleAppSKey(deps: JoinServerDeps, caller: PeerRecord, msg: AppSKeyRequestMessage): Promise<AppSKeyAnswer> {
  if (caller.kind !== 'as' || caller.asId === null) {
    throw new JoinServerError('unknown_sender', 'only an Application Server peer may send AppSKeyReq');
  }
  if (caller.asId !== msg.senderId) {
    throw new JoinServerError('unknown_sender', `SenderID ${msg.senderId} is not the AS-ID of the authenticated peer`);
  }
  const devEui = msg.devEui.toHex();
  const device = await deps.devices.get(devEui);
  if (device === null) throw new JoinServerError('unknown_dev_eui', `no device with DevEUI ${devEui}`);
  if (device.asId !== caller.asId) {
    throw new JoinServerError('activation_disallowed', `AS-ID ${caller.asId} is not this device's Application Server`);
  }
  const kek = requireKekOrPlain(
    openDeviceAsKek(device, deps.vault) ?? openPeerKek(caller, deps.vault), deps.settings.allowUnwrappedKeys, `Application Server ${caller.id}`,
  );
  const session = await deps.devices.getSession(devEui, msg.sessionKeyId);
  if (session === null) {
    throw new JoinServerError('unknown_dev_eui', `no session ${msg.sessionKeyId} for DevEUI ${devEui}`);
  }
  if (session.asId !== caller.asId) {
    throw new JoinServerError('activation_disallowed', 'this session was activated for another Application Server');
  }
  const appSKey = AesKey.fromBytes(deps.vault.open(session.appSKey, sealContext.sessionKey(devEui, session.sessionKeyId, 'appSKey')));
  return { devEui: msg.devEui, sessionKeyId: session.sessionKeyId, appSKey: envelopeKey(appSKey, kek) };
}
