import { AesKey, wrapKey } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { JoinServerError } from './errors.js';
import type { KeyVault, PeerRecord } from './ports.js';

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

/** Opens the KEK of a peer, or null when the peer has none. */
export function openPeerKek(peer: PeerRecord, vault: KeyVault): PeerKek | null {
  if (peer.kek === null || peer.kekLabel === null) return null;
  return { label: peer.kekLabel, key: vault.open(peer.kek, sealContext.peerKek(peer.id)) };
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
