/**
 * What the audit log records. Later work extends {@link AUDIT_ACTIONS}; an action's name never
 * changes once written, since it is part of every hash after it (docs/audit.md).
 */
export const AUDIT_ACTIONS = Object.freeze([
  /** Devices imported in bulk (manifest, CSV/JSON). */
  'device.import',
  /** A device's root keys were exported (they are exposed from then on). */
  'device.keys_exported',
  /** A device's owner token (claim authentication code) was set, changed or removed. */
  'device.token_changed',
  /** A device was claimed into an application. */
  'device.claimed',
  /** A claim attempt was refused (wrong code, locked, expired, …). */
  'device.claim_failed',
  /** A device was released by its owner. */
  'device.released',
  /** A device was registered. */
  'device.created',
  /** A device, its keys and sessions were deleted. */
  'device.removed',
  /** An account was created. */
  'account.created',
  /** An account was disabled. */
  'account.disabled',
  /** A disabled account was enabled again. */
  'account.enabled',
  /** Root keys arriving later were attached to a device (a vendor key batch). */
  'device.keys_attached',
] as const);

/** One of {@link AUDIT_ACTIONS}. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Whether the recorded operation happened. */
export type AuditOutcome = 'success' | 'failure';

/** A detail value: details are flat and small (see audit-details.ts). */
export type AuditDetailValue = string | number | boolean | null;

/** Small, flat, secret-free facts about an event, e.g. `{ "username": "acme", "role": "provisioner" }`. */
export type AuditDetails = Readonly<Record<string, AuditDetailValue>>;

/** The hash before the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** An event to append: the log assigns `seq`, `prevHash` and `hash`, and `at` when absent. */
export interface NewAuditEvent {
  /** When it happened; the time of appending when absent. */
  readonly at?: Date;
  /** Account username, `system`, or a peer id. */
  readonly actor: string;
  readonly action: AuditAction;
  /** Upper-case hex DevEUI of the device concerned; null for events about no device. */
  readonly devEui: string | null;
  readonly outcome: AuditOutcome;
  readonly details: AuditDetails;
}

/** A recorded event, linked to the one before it by `prevHash`. */
export interface AuditEvent {
  /** 1-based position in the chain; gap-free. */
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  /** An {@link AuditAction}; typed `string` because a row written by a later version may carry a newer one. */
  readonly action: string;
  readonly devEui: string | null;
  readonly outcome: AuditOutcome;
  readonly details: AuditDetails;
  /** `hash` of event `seq - 1`, or {@link GENESIS_HASH} for the first. */
  readonly prevHash: string;
  /** SHA-256 (lower-case hex) of the canonical serialization, see hash-chain.ts. */
  readonly hash: string;
}

/** What {@link AuditLog.list} returns. */
export interface AuditListQuery {
  /** Only events about this device (upper-case hex). */
  readonly devEui?: string;
  /** Only events with a larger seq. */
  readonly afterSeq?: number;
  /** At most this many, by ascending seq. */
  readonly limit: number;
}

/** The outcome of checking the whole chain. */
export type AuditVerifyResult =
  | { readonly ok: true; readonly count: number; readonly headHash: string }
  | { readonly ok: false; readonly firstBadSeq: number; readonly reason: string };

/** Writes audit events: what use cases need. */
export interface AuditRecorder {
  /**
   * Appends one event at the head of the chain and returns it. Appends are serialized across
   * processes, so concurrent appends still form one gap-free chain.
   */
  append(event: NewAuditEvent): Promise<AuditEvent>;
}

/** The append-only, hash-chained audit log (storage port). It has no update and no delete. */
export interface AuditLog extends AuditRecorder {
  /** Events by ascending seq. */
  list(query: AuditListQuery): Promise<AuditEvent[]>;
  /** Reads the whole chain in batches and recomputes every hash and link. */
  verify(): Promise<AuditVerifyResult>;
}

/** True when `value` names a known action. */
export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}
