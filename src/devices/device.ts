import type { MacVersion } from '../lorawan/mac-version.js';

/**
 * A value sealed by the key vault (AES-256-GCM under a master key): an opaque string
 * `v1.<keyId>.<iv>.<ciphertext+tag>`. Storage keeps it as text and never opens it.
 */
export type Sealed = string & { readonly __sealed: unique symbol };

/** A device as storage keeps it. EUIs are 16 upper-case hex characters, NetID 6. */
export interface DeviceRecord {
  readonly devEui: string;
  readonly joinEui: string;
  readonly macVersion: MacVersion;
  /** Root keys, sealed under context `device:<DevEUI>:appKey` / `device:<DevEUI>:nwkKey`. */
  readonly appKey: Sealed | null;
  readonly nwkKey: Sealed | null;
  /** Activation settings: only a Network Server with this NetID may activate the device. */
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  /** The Application Server whose KEK wraps the AppSKey and who may fetch it. */
  readonly asId: string | null;
  /** Opt-out for non-compliant devices that reset their DevNonce: skips DevNonce checks. */
  readonly resetsJoinNonces: boolean;
  /** LoRaWAN state. `lastJoinNonce` 0 means the device never joined. */
  readonly lastDevNonce: number | null;
  readonly usedDevNonces: readonly number[];
  readonly lastJoinNonce: number;
  /** Incremented on every state change; joins commit only against the version they read. */
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What creating a device needs; state fields start empty. */
export type NewDevice = Pick<
  DeviceRecord,
  'devEui' | 'joinEui' | 'macVersion' | 'appKey' | 'nwkKey' | 'homeNetId' | 'homeNsId' | 'asId' | 'resetsJoinNonces'
>;

/** Settings that may change after creation (root keys are not among them). */
export interface DevicePatch {
  readonly homeNetId?: string | null;
  readonly homeNsId?: string | null;
  readonly asId?: string | null;
  readonly resetsJoinNonces?: boolean;
  readonly macVersion?: MacVersion;
}

/** Session keys of one accepted join, sealed under `session:<DevEUI>:<SessionKeyID>:<field>`. */
export interface SessionRecord {
  readonly devEui: string;
  /** Upper-case hex. */
  readonly sessionKeyId: string;
  readonly macVersion: MacVersion;
  readonly joinNonce: number;
  readonly devNonce: number;
  /** NetID of the Network Server that activated this session. */
  readonly netId: string;
  readonly asId: string | null;
  /** 1.0.x */
  readonly nwkSKey: Sealed | null;
  /** 1.1 */
  readonly fNwkSIntKey: Sealed | null;
  readonly sNwkSIntKey: Sealed | null;
  readonly nwkSEncKey: Sealed | null;
  readonly appSKey: Sealed;
  readonly createdAt: Date;
}

/**
 * One accepted join, written atomically: the device's nonce state is replaced only if its
 * version is still `expectedVersion`; the session is inserted and sessions beyond the newest
 * `keepSessions` are deleted. Nothing is written when the version moved on.
 */
export interface JoinCommit {
  readonly devEui: string;
  readonly expectedVersion: number;
  readonly lastDevNonce: number | null;
  readonly usedDevNonces: readonly number[];
  readonly lastJoinNonce: number;
  readonly session: SessionRecord;
  readonly keepSessions: number;
}

/** Storage port for devices and their sessions. */
export interface DeviceStore {
  /** Throws AlreadyExistsError (`already_exists`) when the DevEUI is taken. */
  create(device: NewDevice): Promise<DeviceRecord>;
  get(devEui: string): Promise<DeviceRecord | null>;
  /** Ordered by DevEUI; `after` is an exclusive DevEUI cursor. */
  list(options: { readonly limit: number; readonly after?: string }): Promise<DeviceRecord[]>;
  count(): Promise<number>;
  /** Returns null when the device does not exist. Bumps `version`. */
  update(devEui: string, patch: DevicePatch): Promise<DeviceRecord | null>;
  /** Deletes the device and its sessions; false when it did not exist. */
  remove(devEui: string): Promise<boolean>;
  /** See {@link JoinCommit}. Returns false (and writes nothing) on a version mismatch. */
  commitJoin(commit: JoinCommit): Promise<boolean>;
  getSession(devEui: string, sessionKeyId: string): Promise<SessionRecord | null>;
  countSessions(devEui: string): Promise<number>;
}
