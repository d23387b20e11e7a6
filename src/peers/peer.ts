import type { Sealed } from '../devices/device.js';

/** `ns`: a Network Server (NetID, optional NSID). `as`: an Application Server (AS-ID). */
export type PeerKind = 'ns' | 'as';

/** A Backend Interfaces peer. */
export interface PeerRecord {
  /** Stable id: `ns:<NetID>` or `ns:<NetID>:<NSID>` or `as:<AS-ID>`. */
  readonly id: string;
  readonly kind: PeerKind;
  readonly netId: string | null;
  readonly nsId: string | null;
  readonly asId: string | null;
  /** SHA-256 (hex) of the bearer token; the token itself is never stored. */
  readonly tokenHash: string | null;
  /** SHA-256 fingerprint (upper-case hex, no separators) of the DER client certificate. */
  readonly certFingerprint: string | null;
  /** Key encryption key used to wrap session keys sent to this peer; sealed under `peer:<id>:kek`. */
  readonly kekLabel: string | null;
  readonly kek: Sealed | null;
  /** An Application Server peer that claims devices (TTJS claim API) claims them into this application. */
  readonly applicationId: string | null;
  readonly createdAt: Date;
}

export type NewPeer = Omit<PeerRecord, 'createdAt' | 'applicationId'> & { readonly applicationId?: string | null };

/** Storage port for peers. */
export interface PeerStore {
  /** Throws AlreadyExistsError (`already_exists`) when the id, token hash or fingerprint is taken. */
  create(peer: NewPeer): Promise<PeerRecord>;
  get(id: string): Promise<PeerRecord | null>;
  list(): Promise<PeerRecord[]>;
  remove(id: string): Promise<boolean>;
  findByTokenHash(tokenHash: string): Promise<PeerRecord | null>;
  findByCertFingerprint(fingerprint: string): Promise<PeerRecord | null>;
}
