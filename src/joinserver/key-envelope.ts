import { AesKey, wrapKey } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { JoinServerError } from './errors.js';
import type { JoinDeviceRecord, KeyVault, PeerRecord } from './ports.js';

/** A session key as Backend Interfaces sends it: wrapped under a peer's KEK, or plain with an empty label. */
export interface KeyEnvelope {
  readonly kekLabel: string;
  /** RFC 3394-wrapped key (24 bytes for AES-128), or the plain key when `kekLabel` is empty. */
  readonly aesKey: Uint8Array;
}

/** A peer's key encryption key, opened from the vault for one request. */
export interface PeerKek {
  readonly label: string;
  readonly key: Uint8Array;
}

/**
 * KEKs already opened, per vault and per peer object. The peer cache (`cachePeerLookups`) hands
 * out the same PeerRecord object for its TTL, so a busy peer's KEK is opened once per TTL instead
 * of on every join; a reloaded or changed peer is a new object and is opened anew. Entries go
 * with their PeerRecord (weak keys). Failures are not remembered.
 */
const openedKeks = new WeakMap<KeyVault, WeakMap<PeerRecord, { readonly sealed: string; readonly id: string; readonly kek: PeerKek }>>();

/**
 * Opens the KEK of a peer, or null when the peer has none. The result is shared between calls
 * for the same peer object and vault: callers must not modify `key`.
 */
export function openPeerKek(peer: PeerRecord, vault: KeyVault): PeerKek | null {
  if (peer.kek === null || peer.kekLabel === null) return null;
  let byPeer = openedKeks.get(vault);
  const hit = byPeer?.get(peer);
  // Checked again in case a caller built the record by hand and changed it since.
  if (hit !== undefined && hit.sealed === peer.kek && hit.id === peer.id && hit.kek.label === peer.kekLabel) return hit.kek;
  const kek: PeerKek = { label: peer.kekLabel, key: vault.open(peer.kek, sealContext.peerKek(peer.id)) };
  if (byPeer === undefined) {
    byPeer = new WeakMap();
    openedKeks.set(vault, byPeer);
  }
  byPeer.set(peer, { sealed: peer.kek, id: peer.id, kek });
  return kek;
}

/**
 * The AS KEK a claim set for this device (The Things Join Server's claim `kek`), or null. It
 * takes precedence over the Application Server peer's own KEK for this device's AppSKeys.
 */
export function openDeviceAsKek(device: JoinDeviceRecord, vault: KeyVault): PeerKek | null {
  if (device.asKek === null) return null;
  return { label: device.asKek.label, key: vault.open(device.asKek.key, sealContext.deviceAsKek(device.devEui)) };
}

/**
 * Decides, before anything is committed, how keys will reach a peer: under its KEK, or plain
 * when the operator allowed unwrapped keys. Throws when neither is possible.
 */
export function requireKekOrPlain(kek: PeerKek | null, allowUnwrapped: boolean, who: string): PeerKek | null {
  if (kek === null && !allowUnwrapped) {
    throw new JoinServerError('other', `${who} has no KEK configured and unwrapped keys are not allowed`);
  }
  return kek;
}

/** Wraps a session key for a peer (or passes it plain when `kek` is null). */
export function envelopeKey(key: AesKey, kek: PeerKek | null): KeyEnvelope {
  if (kek === null) return { kekLabel: '', aesKey: key.unsafeBytes() };
  return { kekLabel: kek.label, aesKey: wrapKey(kek.key, key.unsafeBytes()) };
}
