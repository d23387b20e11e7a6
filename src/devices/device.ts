import type { NewAuditEvent } from '../audit/audit-event.js';
import type { MacVersion } from '../lorawan/mac-version.js';
import type { NewDeviceEvent } from './device-event.js';

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
  /** A human name (CSV/JSON `name`); not unique. */
  readonly name: string | null;
  /** LoRa Alliance VendorID and the vendor's profile id, 4 upper-case hex digits each. */
  readonly vendorId: string | null;
  readonly vendorProfileId: string | null;
  /** The secure element, for devices imported from a Microchip manifest. */
  readonly secureElement: SecureElementRecord | null;
  /** Where the device came from when it was imported (`importedAt` is `createdAt`). */
  readonly provenance: ImportProvenance | null;
  /** Account id of the maker whose inventory holds the device; null when an admin added it. */
  readonly provisionerId: string | null;
  /** The application that owns the device; null while it is unclaimed. */
  readonly applicationId: string | null;
  /** Claim authentication code, sealed under `device:<DevEUI>:ownerToken`; null when none is set. */
  readonly ownerToken: Sealed | null;
  /** The owner token is valid from / until these instants (either may be open). */
  readonly ownerTokenValidFrom: Date | null;
  readonly ownerTokenValidTo: Date | null;
  /** Set by the holder: nobody else may claim the device, whatever token they show. */
  readonly claimLocked: boolean;
  /** When and by whom the root keys were first exported; null while they never left custody. */
  readonly rootKeysExposed: RootKeysExposure | null;
  /** The AS KEK a claim set for this device (wraps its AppSKeys), sealed under `device:<DevEUI>:asKek`. */
  readonly asKek: { readonly label: string; readonly key: Sealed } | null;
  /** When the device was claimed into its current application; null while unclaimed. */
  readonly claimedAt: Date | null;
}

/** Import formats, as the CLI and API name them. */
export type ImportFormat = 'microchip-atecc608' | 'csv' | 'json';

/** A Microchip secure element a device was imported with. Not secret. */
export interface SecureElementRecord {
  /** 18 lower-case hex digits. */
  readonly uniqueId: string;
  readonly model: string;
  readonly partNumber: string;
  /** JWS `kid` of the Log Signer that signed the manifest entry. */
  readonly signerKid: string;
  readonly generation: 'B' | 'C';
}

/** Which file and which account produced an imported device. */
export interface ImportProvenance {
  readonly format: ImportFormat;
  /** Lower-case hex SHA-256 of the whole import file. */
  readonly fileSha256: string;
  /** Username of the importing account. */
  readonly importedBy: string;
}

/** The permanent record that a device's root keys left custody. */
export interface RootKeysExposure {
  readonly at: Date;
  /** Username of the account that exported them first. */
  readonly by: string;
}

/** What creating a device needs; state fields start empty, the optional ones null/false. */
export type NewDevice = Pick<
  DeviceRecord,
  'devEui' | 'joinEui' | 'macVersion' | 'appKey' | 'nwkKey' | 'homeNetId' | 'homeNsId' | 'asId' | 'resetsJoinNonces'
> & Partial<Pick<
  DeviceRecord,
  'name' | 'vendorId' | 'vendorProfileId' | 'secureElement' | 'provenance' | 'provisionerId' | 'applicationId'
  | 'ownerToken' | 'ownerTokenValidFrom' | 'ownerTokenValidTo'
>>;

/** Whose devices a listing covers: all (admin), a maker's inventory, or an owner's applications. */
export type DeviceScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'provisioner'; readonly accountId: string }
  | { readonly kind: 'owner'; readonly accountId: string };

/** Optional filters of a device listing. */
export interface DeviceFilter {
  /** `unclaimed` (no application), `claimed`, `exposed` (root keys exported), `keys_missing` (no root keys). */
  readonly state?: 'unclaimed' | 'claimed' | 'exposed' | 'keys_missing';
  /** A DevEUI prefix (any case) or a substring of the name (ASCII case ignored); `%`, `_` and `\` are literal. */
  readonly search?: string;
}

/** Settings that may change after creation (root keys are not among them). */
export interface DevicePatch {
  readonly homeNetId?: string | null;
  readonly homeNsId?: string | null;
  readonly asId?: string | null;
  readonly resetsJoinNonces?: boolean;
  readonly macVersion?: MacVersion;
  readonly name?: string | null;
  /** Root keys arriving later (vendor key batches); sealed as for `create`. */
  readonly appKey?: Sealed | null;
  readonly nwkKey?: Sealed | null;
  readonly ownerToken?: Sealed | null;
  readonly ownerTokenValidFrom?: Date | null;
  readonly ownerTokenValidTo?: Date | null;
  readonly claimLocked?: boolean;
  readonly applicationId?: string | null;
  /** Recorded once: an update never clears or moves an existing exposure. */
  readonly rootKeysExposed?: RootKeysExposure;
  readonly asKek?: { readonly label: string; readonly key: Sealed } | null;
  readonly claimedAt?: Date | null;
}

/** Options of {@link DeviceStore.update}. */
export interface UpdateOptions {
  /** Write only if the device is still at this version (compare-and-set); else return null. */
  readonly expectedVersion?: number;
  /** Appended to the audit log in the same transaction as the update. */
  readonly audit?: NewAuditEvent;
  /** Written to the event outbox in the same transaction as the update. */
  readonly events?: readonly NewDeviceEvent[];
  /** Deletes the device's session keys in the same transaction (a new owner must rejoin). */
  readonly deleteSessions?: boolean;
  /**
   * A successful claim's effect on the attempt limiter (`AttemptLimiter.recordSuccess`) in the
   * same transaction: the failure counts of these keys are cleared (not of `ip:` keys, and not
   * while a lock-out runs).
   */
  readonly clearAttempts?: { readonly keys: readonly string[]; readonly at: Date };
}

/** The outcome of one device of {@link DeviceStore.insertMany}. */
export type InsertOutcome = { readonly devEui: string; readonly created: true; readonly device: DeviceRecord }
  | { readonly devEui: string; readonly created: false };

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

/**
 * What a join reads of a device: its identity, root keys, home network, Application Server, KEK
 * and nonce state. Reading only these columns keeps the join's lookup small (a device row also
 * carries its owner token, provenance and timestamps).
 */
export type JoinDeviceRecord = Pick<DeviceRecord,
  'devEui' | 'joinEui' | 'macVersion' | 'appKey' | 'nwkKey' | 'homeNetId' | 'homeNsId' | 'asId'
  | 'resetsJoinNonces' | 'lastDevNonce' | 'usedDevNonces' | 'lastJoinNonce' | 'version' | 'asKek'>;

/** Storage port for devices and their sessions. */
export interface DeviceStore {
  /** Throws AlreadyExistsError (`already_exists`) when the DevEUI is taken. */
  create(device: NewDevice): Promise<DeviceRecord>;
  get(devEui: string): Promise<DeviceRecord | null>;
  /** The fields of {@link JoinDeviceRecord}, as `get` would return them; null when there is no such device. */
  getForJoin(devEui: string): Promise<JoinDeviceRecord | null>;
  /** The devices among `devEuis` that exist (any order). */
  getMany(devEuis: readonly string[]): Promise<DeviceRecord[]>;
  /** The devices whose secure element is among `uniqueIds` (lower-case hex; any order). */
  getBySecureElements(uniqueIds: readonly string[]): Promise<DeviceRecord[]>;
  /** Ordered by DevEUI; `after` is an exclusive DevEUI cursor; `scope` defaults to all. */
  list(options: {
    readonly limit: number; readonly after?: string; readonly scope?: DeviceScope; readonly filter?: DeviceFilter;
  }): Promise<DeviceRecord[]>;
  count(scope?: DeviceScope, filter?: DeviceFilter): Promise<number>;
  /**
   * Returns null when the device does not exist (or is no longer at `expectedVersion`). Bumps
   * `version`. With `audit`, the event is appended in the same transaction.
   */
  update(devEui: string, patch: DevicePatch, options?: UpdateOptions): Promise<DeviceRecord | null>;
  /**
   * Inserts the devices that do not exist yet (by DevEUI or secure element), in one transaction
   * with the audit events `audit` returns for the ones created. Devices that already exist are
   * reported `created: false` and left alone, so an import can be run again.
   */
  /**
   * Ends an import: stamps `fileSha256` on the devices carrying `marker` as their file hash,
   * and on the listed DevEUIs (imported by an interrupted earlier run of the same file).
   */
  finishImport(marker: string, devEuis: readonly string[], fileSha256: string): Promise<void>;
  insertMany(devices: readonly NewDevice[], audit: (created: readonly DeviceRecord[]) => readonly NewAuditEvent[]): Promise<InsertOutcome[]>;
  /** Deletes the device and its sessions; false when it did not exist. */
  remove(devEui: string): Promise<boolean>;
  /** See {@link JoinCommit}. Returns false (and writes nothing) on a version mismatch. */
  commitJoin(commit: JoinCommit): Promise<boolean>;
  getSession(devEui: string, sessionKeyId: string): Promise<SessionRecord | null>;
  countSessions(devEui: string): Promise<number>;
}
