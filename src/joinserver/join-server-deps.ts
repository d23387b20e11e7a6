import type { Clock, DeviceStore, KeyVault, PeerStore, RandomSource } from './ports.js';

/** Join Server behaviour the operator configures. */
export interface JoinServerSettings {
  /** Used DevNonces remembered per device (random-nonce devices, before LoRaWAN 1.0.4). */
  readonly devNonceHistory: number;
  /** Session keys kept per device (for AppSKeyReq). */
  readonly sessionKeysPerDevice: number;
  /** Send keys in the clear, with an empty KEK label, to peers that have no KEK. */
  readonly allowUnwrappedKeys: boolean;
  /** The BI `Lifetime` of a session, seconds; 0 means no limit. */
  readonly sessionLifetimeSeconds: number;
}

/** What the Join Server use cases are given by the composition root. */
export interface JoinServerDeps {
  readonly devices: DeviceStore;
  readonly peers: PeerStore;
  readonly vault: KeyVault;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly settings: JoinServerSettings;
}
