import type { Sealed } from '../devices/device.js';

export type { DeviceStore, DeviceRecord, JoinDeviceRecord, SessionRecord, JoinCommit } from '../devices/device.js';
export type { PeerStore, PeerRecord } from '../peers/peer.js';

/** Encryption at rest: the narrow interface of the key vault the use cases need. */
export interface KeyVault {
  seal(plaintext: Uint8Array, context: string): Sealed;
  open(sealed: Sealed, context: string): Uint8Array;
}

/** Time, injected so the use cases stay pure and testable. */
export interface Clock {
  now(): Date;
}

/** Randomness, injected for the same reason. */
export interface RandomSource {
  bytes(length: number): Uint8Array;
}
