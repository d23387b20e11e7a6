import type { NewAuditEvent } from '../audit/audit-event.js';
import type { Sealed } from '../devices/device.js';
import type { NewDeviceEvent } from '../devices/device-event.js';

/**
 * A device on IP that opens its own claim windows (ThingsBoard-compatible): it authenticates
 * with an access token, or — a gateway's child — is announced by its gateway. It shares the
 * ownership model of LoRaWAN devices: in its maker's inventory until claimed into an
 * application, and back there when released.
 */
export interface IpDeviceRecord {
  readonly id: string;
  /** Unique within its scope. */
  readonly name: string;
  /** The maker's account id, or `admin` for devices an admin created. */
  readonly scope: string;
  readonly provisionerId: string | null;
  readonly applicationId: string | null;
  /** The gateway that announced this device (children have no access token). */
  readonly gatewayId: string | null;
  /** SHA-256 of the access token; null for gateway children. */
  readonly accessTokenHash: string | null;
  /** Per-device claiming policy; null follows `allowClaimingByDefault`. */
  readonly claimingAllowed: boolean | null;
  readonly claimedAt: Date | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewIpDevice = Pick<IpDeviceRecord, 'id' | 'name' | 'scope' | 'provisionerId' | 'gatewayId' | 'accessTokenHash' | 'claimingAllowed'>;

/** What may change. */
export interface IpDevicePatch {
  readonly applicationId?: string | null;
  readonly claimedAt?: Date | null;
  readonly claimingAllowed?: boolean | null;
  readonly accessTokenHash?: string;
}

/** An open claim window: the device may be claimed with `secret` until `expiresAt`. */
export interface ClaimWindowRecord {
  readonly deviceId: string;
  /** Sealed under `ipdevice:<id>:claimSecret`. */
  readonly secret: Sealed;
  readonly expiresAt: Date;
  /** Wrong secrets tried against this window so far. */
  readonly failures: number;
  readonly openedAt: Date;
}

/** What `putWindow` checks besides ownership: the operator's default for devices without their own flag. */
export interface WindowPolicy {
  readonly allowClaimingByDefault: boolean;
}

/** Storage port of IP devices and their claim windows. */
export interface IpDeviceStore {
  /** Throws AlreadyExistsError when the name is taken in its scope. */
  create(device: NewIpDevice): Promise<IpDeviceRecord>;
  get(id: string): Promise<IpDeviceRecord | null>;
  getByTokenHash(hash: string): Promise<IpDeviceRecord | null>;
  /** Every device with this name, in any scope. */
  findByName(name: string): Promise<IpDeviceRecord[]>;
  /** A gateway's child by name. */
  findChild(gatewayId: string, name: string): Promise<IpDeviceRecord | null>;
  /** A scope's devices by name (maker inventory), or every device (`null`). */
  list(scope: string | null, options: { readonly limit: number; readonly after?: string }): Promise<IpDeviceRecord[]>;
  /** Compare-and-set at `expectedVersion`; with audit/events in the same transaction; `closeWindow` deletes its window too. */
  update(id: string, patch: IpDevicePatch, options: {
    readonly expectedVersion?: number; readonly audit?: NewAuditEvent; readonly events?: readonly NewDeviceEvent[]; readonly closeWindow?: boolean;
  }): Promise<IpDeviceRecord | null>;
  /**
   * Opens or replaces the device's window (new secret and expiry, failures back to 0) if, checked
   * in the same atomic write, the device is unowned and claiming is allowed for it (its
   * `claimingAllowed`, else `policy.allowClaimingByDefault`). False, and nothing written, otherwise.
   */
  putWindow(window: Omit<ClaimWindowRecord, 'failures'>, policy: WindowPolicy): Promise<boolean>;
  getWindow(deviceId: string): Promise<ClaimWindowRecord | null>;
  /** Counts a wrong secret; deletes the window once `maxFailures` is reached. True when it was closed. */
  recordWindowFailure(deviceId: string, maxFailures: number): Promise<boolean>;
  /** Deletes windows that expired before `now`; returns how many. */
  purgeExpiredWindows(now: Date): Promise<number>;
}
