import {
  AesKey, DevAddr, Eui64, LorawanError, NetId, buildJoinAccept10, buildJoinAccept11, decodeJoinRequest,
  deriveJsIntKey, deriveSessionKeys10, deriveSessionKeys11, isLorawan11, selectRootKeys, toHex,
  usesDevNonceCounter, verifyJoinRequestMic,
} from '../lorawan/index.js';
import type { JoinAcceptFields, JoinRequest, MacVersion } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import type { Mutable } from '../shared/mutable.js';
import { checkDevNonce } from './dev-nonce-policy.js';
import { JoinServerError } from './errors.js';
import { envelopeKey, openDeviceAsKek, openPeerKek, requireKekOrPlain, type KeyEnvelope, type PeerKek } from './key-envelope.js';
import type { JoinServerDeps } from './join-server-deps.js';
import { openRootKeys } from './root-keys.js';
import type { JoinDeviceRecord, PeerRecord, SessionRecord } from './ports.js';

/** A Backend Interfaces JoinReq, validated by the transport. */
export interface JoinRequestMessage {
  readonly macVersion: MacVersion;
  readonly phyPayload: Uint8Array;
  readonly devEui: Eui64;
  readonly devAddr: DevAddr;
  readonly dlSettings: number;
  readonly rxDelay: number;
  readonly cfList: Uint8Array | null;
  /** SenderID: the NetID the Network Server claims to be. */
  readonly senderNetId: NetId;
  readonly senderNsId: string | null;
}

/** Everything a JoinAns carries on success. */
export interface JoinAnswer {
  readonly phyPayload: Uint8Array;
  readonly lifetimeSeconds: number;
  readonly sessionKeyId: string;
  readonly macVersion: MacVersion;
  readonly nwkSKey?: KeyEnvelope;
  readonly fNwkSIntKey?: KeyEnvelope;
  readonly sNwkSIntKey?: KeyEnvelope;
  readonly nwkSEncKey?: KeyEnvelope;
  /** Omitted when the device's Application Server has no KEK: it fetches the key with AppSKeyReq. */
  readonly appSKey: KeyEnvelope | null;
}

const MAX_JOIN_NONCE = 0xffffff;
const COMMIT_ATTEMPTS = 5;

/**
 * Serves one JoinReq: decodeJoinRequest → resolveDevice → authorizePeer → checkMic →
 * reserveNonces → deriveSessionKeys → buildJoinAccept → commit → wrapKeys.
 * Nothing is persisted unless every check passed; the nonce check, JoinNonce increment and
 * session-key store are one conditional write, so racing duplicates produce one JoinAccept.
 */
export async function handleJoin(deps: JoinServerDeps, caller: PeerRecord, msg: JoinRequestMessage): Promise<JoinAnswer> {
  const request = decodeFrame(msg);
  authorizeSender(caller, msg);
  const nsKek = requireKekOrPlain(openPeerKek(caller, deps.vault), deps.settings.allowUnwrappedKeys, `Network Server ${caller.id}`);

  for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
    const device = await resolveDevice(deps, request);
    authorizePeer(device, caller);
    const asKek = await resolveAsKek(deps, device);
    const roots = selectKeys(deps, device, msg.macVersion);
    if (!verifyJoinRequestMic(request, roots.network)) {
      throw new JoinServerError('mic_failed', 'JoinRequest MIC does not verify with the device root key');
    }
    const nonces = reserveNonces(deps, device, request.devNonce);
    const joinNonce = nonces.joinNonce;
    const built = deriveAndBuild(msg, request, roots, joinNonce);
    const sessionKeyId = toHex(deps.random.bytes(16));
    const session = sealSession(deps, device, msg, request, built, joinNonce, sessionKeyId);
    const committed = await deps.devices.commitJoin({
      devEui: device.devEui,
      expectedVersion: device.version,
      lastDevNonce: nonces.lastDevNonce,
      usedDevNonces: nonces.usedDevNonces,
      lastJoinNonce: joinNonce,
      session,
      keepSessions: deps.settings.sessionKeysPerDevice,
    });
    if (committed) return wrapKeys(deps, msg.macVersion, built, sessionKeyId, nsKek, asKek);
  }
  throw new JoinServerError('join_req_failed', 'too many concurrent JoinRequests for this device; try again');
}

function decodeFrame(msg: JoinRequestMessage): JoinRequest {
  let request: JoinRequest;
  try {
    request = decodeJoinRequest(msg.phyPayload);
  } catch (err) {
    if (err instanceof LorawanError) {
      throw new JoinServerError(err.code === 'frame_size' ? 'frame_size' : 'malformed_message', `PHYPayload: ${err.message}`);
    }
    throw err;
  }
  if (!request.devEui.equals(msg.devEui)) {
    throw new JoinServerError('malformed_message', 'DevEUI does not match the DevEUI in the PHYPayload');
  }
  return request;
}

function authorizeSender(caller: PeerRecord, msg: JoinRequestMessage): void {
  if (caller.kind !== 'ns' || caller.netId === null) {
    throw new JoinServerError('unknown_sender', 'only a Network Server peer may send JoinReq');
  }
  if (caller.netId !== msg.senderNetId.toHex()) {
    throw new JoinServerError('unknown_sender', `SenderID ${msg.senderNetId.toHex()} is not the NetID of the authenticated peer`);
  }
}

async function resolveDevice(deps: JoinServerDeps, request: JoinRequest): Promise<JoinDeviceRecord> {
  const device = await deps.devices.getForJoin(request.devEui.toHex());
  if (device === null || device.joinEui !== request.joinEui.toHex()) {
    throw new JoinServerError('unknown_dev_eui', `no device with JoinEUI ${request.joinEui.toHex()} and DevEUI ${request.devEui.toHex()}`);
  }
  return device;
}

function authorizePeer(device: JoinDeviceRecord, caller: PeerRecord): void {
  if (device.homeNetId === null || device.homeNetId !== caller.netId) {
    throw new JoinServerError('activation_disallowed', `NetID ${caller.netId ?? '?'} may not activate this device`);
  }
  if (device.homeNsId !== null && caller.nsId !== null && device.homeNsId !== caller.nsId) {
    throw new JoinServerError('activation_disallowed', `NSID ${caller.nsId} may not activate this device`);
  }
}

async function resolveAsKek(deps: JoinServerDeps, device: JoinDeviceRecord): Promise<PeerKek | null> {
  const own = openDeviceAsKek(device, deps.vault);
  if (own !== null) return own;
  if (device.asId === null) return null;
  const as = await deps.peers.get(`as:${device.asId}`);
  return as === null ? null : openPeerKek(as, deps.vault);
}

function selectKeys(deps: JoinServerDeps, device: JoinDeviceRecord, macVersion: MacVersion) {
  const keys = openRootKeys(deps.vault, device, macVersion);
  try {
    return selectRootKeys(keys, macVersion);
  } catch (err) {
    if (err instanceof LorawanError) {
      throw new JoinServerError('join_req_failed', `root keys not available: ${err.message}`);
    }
    throw err;
  }
}

function reserveNonces(deps: JoinServerDeps, device: JoinDeviceRecord, devNonce: number) {
  const check = checkDevNonce(device, devNonce, {
    counter: usesDevNonceCounter(device.macVersion),
    resetsJoinNonces: device.resetsJoinNonces,
    historySize: deps.settings.devNonceHistory,
  });
  if (!check.ok) throw new JoinServerError('join_req_failed', check.reason);
  const joinNonce = device.lastJoinNonce + 1;
  if (joinNonce > MAX_JOIN_NONCE) throw new JoinServerError('join_req_failed', 'JoinNonce exhausted for this device');
  return { lastDevNonce: check.next.lastDevNonce, usedDevNonces: check.next.usedDevNonces, joinNonce };
}

/** The JoinAccept and session keys of one join: the network keys of 1.0.x or of 1.1. */
type BuiltJoin = { readonly phyPayload: Uint8Array; readonly appSKey: AesKey } & (
  | { readonly keys10: { nwkSKey: AesKey }; readonly keys11?: undefined }
  | { readonly keys11: { fNwkSIntKey: AesKey; sNwkSIntKey: AesKey; nwkSEncKey: AesKey }; readonly keys10?: undefined }
);

function deriveAndBuild(
  msg: JoinRequestMessage, request: JoinRequest, roots: { network: AesKey; application: AesKey }, joinNonce: number,
): BuiltJoin {
  const is11 = isLorawan11(msg.macVersion);
  const fields: Mutable<JoinAcceptFields> = {
    joinNonce,
    netId: msg.senderNetId,
    devAddr: msg.devAddr,
    // OptNeg tells the device which key hierarchy the network speaks: set for 1.1, clear for 1.0.x.
    dlSettings: (msg.dlSettings & 0x7f) | (is11 ? 0x80 : 0),
    rxDelay: msg.rxDelay,
  };
  if (msg.cfList !== null) fields.cfList = msg.cfList;
  if (!is11) {
    const keys10 = deriveSessionKeys10(roots.network, { joinNonce, netId: msg.senderNetId, devNonce: request.devNonce });
    return { phyPayload: buildJoinAccept10(fields, roots.network), appSKey: keys10.appSKey, keys10 };
  }
  const jsIntKey = deriveJsIntKey(roots.network, request.devEui);
  const keys11 = deriveSessionKeys11({ nwkKey: roots.network, appKey: roots.application }, {
    joinNonce, joinEui: request.joinEui, devNonce: request.devNonce,
  });
  return {
    phyPayload: buildJoinAccept11(fields, { joinEui: request.joinEui, devNonce: request.devNonce, nwkKey: roots.network, jsIntKey }),
    appSKey: keys11.appSKey,
    keys11,
  };
}

function sealSession(
  deps: JoinServerDeps, device: JoinDeviceRecord, msg: JoinRequestMessage, request: JoinRequest,
  built: BuiltJoin, joinNonce: number, sessionKeyId: string,
): SessionRecord {
  const seal = (key: AesKey | undefined, field: Parameters<typeof sealContext.sessionKey>[2]) =>
    key === undefined ? null : deps.vault.seal(key.unsafeBytes(), sealContext.sessionKey(device.devEui, sessionKeyId, field));
  return {
    devEui: device.devEui,
    sessionKeyId,
    macVersion: msg.macVersion,
    joinNonce,
    devNonce: request.devNonce,
    netId: msg.senderNetId.toHex(),
    asId: device.asId,
    nwkSKey: seal(built.keys10?.nwkSKey, 'nwkSKey'),
    fNwkSIntKey: seal(built.keys11?.fNwkSIntKey, 'fNwkSIntKey'),
    sNwkSIntKey: seal(built.keys11?.sNwkSIntKey, 'sNwkSIntKey'),
    nwkSEncKey: seal(built.keys11?.nwkSEncKey, 'nwkSEncKey'),
    appSKey: deps.vault.seal(built.appSKey.unsafeBytes(), sealContext.sessionKey(device.devEui, sessionKeyId, 'appSKey')),
    createdAt: deps.clock.now(),
  };
}

function wrapKeys(
  deps: JoinServerDeps, macVersion: MacVersion, built: BuiltJoin, sessionKeyId: string,
  nsKek: PeerKek | null, asKek: PeerKek | null,
): JoinAnswer {
  const appSKey = asKek !== null || deps.settings.allowUnwrappedKeys ? envelopeKey(built.appSKey, asKek) : null;
  const { phyPayload } = built;
  const lifetimeSeconds = deps.settings.sessionLifetimeSeconds;
  // One literal per branch, no spreads: see answerHeader (transport/http/bi/bi-envelope.ts).
  if (built.keys10 !== undefined) {
    return { phyPayload, lifetimeSeconds, sessionKeyId, macVersion, appSKey, nwkSKey: envelopeKey(built.keys10.nwkSKey, nsKek) };
  }
  const k = built.keys11;
  return {
    phyPayload, lifetimeSeconds, sessionKeyId, macVersion, appSKey,
    fNwkSIntKey: envelopeKey(k.fNwkSIntKey, nsKek),
    sNwkSIntKey: envelopeKey(k.sNwkSIntKey, nsKek),
    nwkSEncKey: envelopeKey(k.nwkSEncKey, nsKek),
  };
}
