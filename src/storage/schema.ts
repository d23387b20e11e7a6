import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Sealed } from '../devices/device.js';
import type { MacVersion } from '../lorawan/mac-version.js';
import type { PeerKind } from '../peers/peer.js';
import type { Role } from '../accounts/account.js';
import type { ImportFormat } from '../devices/device.js';

/**
 * A boolean column: `boolean` on PostgreSQL, integer 0/1 on SQLite. Always written as 0/1
 * (PostgreSQL accepts '0'/'1' as boolean input); read it with `fromDbBoolean`.
 */
export type BooleanColumn = ColumnType<boolean | number, 0 | 1, 0 | 1>;

/**
 * A point in time: `timestamptz` on PostgreSQL (read back as a Date), ISO-8601 UTC text with
 * milliseconds on SQLite (`2024-05-01T12:00:00.000Z`, which sorts chronologically). Always
 * written as ISO text; read it with `fromDbTimestamp`.
 */
export type TimestampColumn = ColumnType<Date | string, string, string>;

/** `devices`: one row per device, keyed by upper-case hex DevEUI. */
export interface DevicesTable {
  dev_eui: string;
  join_eui: string;
  mac_version: MacVersion;
  /** Sealed under `device:<DevEUI>:appKey`. */
  app_key: Sealed | null;
  /** Sealed under `device:<DevEUI>:nwkKey`. */
  nwk_key: Sealed | null;
  home_net_id: string | null;
  home_ns_id: string | null;
  as_id: string | null;
  resets_join_nonces: BooleanColumn;
  last_dev_nonce: number | null;
  /** JSON array of numbers, e.g. `[1,2,3]`. */
  used_dev_nonces: string;
  last_join_nonce: number;
  /** Incremented on every change; joins commit against the version they read. */
  version: number;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
  name: string | null;
  vendor_id: string | null;
  vendor_profile_id: string | null;
  /** Secure element (Microchip manifest imports); `se_unique_id` is unique when set. */
  se_unique_id: string | null;
  se_model: string | null;
  se_part_number: string | null;
  se_signer_kid: string | null;
  se_generation: 'B' | 'C' | null;
  /** Import provenance: format, SHA-256 of the file, importing account (username). */
  import_format: ImportFormat | null;
  import_file_sha256: string | null;
  imported_by: string | null;
  /** The maker (account id) whose inventory holds the device; null for devices an admin added. */
  provisioner_id: string | null;
  /** The owner application; null while unclaimed. */
  application_id: string | null;
  /** Sealed under `device:<DevEUI>:ownerToken`. */
  owner_token: Sealed | null;
  owner_token_valid_from: TimestampColumn | null;
  owner_token_valid_to: TimestampColumn | null;
  claim_locked: BooleanColumn;
  /** Set once, when the root keys were first exported; never cleared. */
  root_keys_exposed_at: TimestampColumn | null;
  root_keys_exposed_by: string | null;
  /** The AS KEK a claim set for this device (TTJS `kek`); sealed under `device:<DevEUI>:asKek`. */
  as_kek_label: string | null;
  as_kek: Sealed | null;
  claimed_at: TimestampColumn | null;
}

/** `outbox_events`: domain events written with the change they describe, delivered by webhooks. */
export interface OutboxEventsTable {
  id: Generated<number>;
  type: string;
  dev_eui: string | null;
  application_id: string | null;
  owner_id: string | null;
  /** JSON object as text. */
  payload: string;
  created_at: TimestampColumn;
  /** When the webhook dispatcher created the event's deliveries; null until then. */
  routed_at: TimestampColumn | null;
}

/** `webhooks`: endpoints accounts registered to receive device events (docs/events.md). */
export interface WebhooksTable {
  id: string;
  /** The account that registered it. */
  owner_id: string;
  url: string;
  /** Sealed under `webhook:<id>:secret`. */
  secret: Sealed;
  /** JSON array of event types, e.g. `["device.claimed"]`. */
  event_types: string;
  created_at: TimestampColumn;
  disabled: BooleanColumn;
}

/** `webhook_deliveries`: one row per webhook and outbox event to deliver; primary key (webhook_id, event_id). */
export interface WebhookDeliveriesTable {
  webhook_id: string;
  /** `outbox_events.id`. */
  event_id: number;
  attempts: number;
  /** Null once delivered or given up. */
  next_attempt_at: TimestampColumn | null;
  /** Lease of the process attempting it; also the fencing token of its outcome. */
  locked_until: TimestampColumn | null;
  delivered_at: TimestampColumn | null;
  /** Why the last attempt failed (`HTTP 500`, `connection refused`); never a secret or the URL. */
  last_error: string | null;
  created_at: TimestampColumn;
}

/** `applications`: the unit of ownership, owned by an (owner) account. */
export interface ApplicationsTable {
  id: string;
  owner_id: string;
  name: string | null;
  home_net_id: string | null;
  home_ns_id: string | null;
  as_id: string | null;
  as_kek_label: string | null;
  created_at: TimestampColumn;
}

/** `session_keys`: the last N sessions per device; primary key (dev_eui, session_key_id). */
export interface SessionKeysTable {
  dev_eui: string;
  session_key_id: string;
  mac_version: MacVersion;
  join_nonce: number;
  dev_nonce: number;
  net_id: string;
  as_id: string | null;
  /** Each sealed under `session:<DevEUI>:<SessionKeyID>:<field>`. */
  nwk_s_key: Sealed | null;
  f_nwk_s_int_key: Sealed | null;
  s_nwk_s_int_key: Sealed | null;
  nwk_s_enc_key: Sealed | null;
  app_s_key: Sealed;
  created_at: TimestampColumn;
}

/** `peers`: Backend Interfaces peers (Network and Application Servers). */
export interface PeersTable {
  id: string;
  kind: PeerKind;
  net_id: string | null;
  ns_id: string | null;
  as_id: string | null;
  token_hash: string | null;
  cert_fingerprint: string | null;
  kek_label: string | null;
  /** Sealed under `peer:<id>:kek`. */
  kek: Sealed | null;
  created_at: TimestampColumn;
  /** For an Application Server peer that claims devices (TTJS claim API): the application they land in. */
  application_id: string | null;
}

/** `accounts`: people and robots that log in. */
export interface AccountsTable {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  disabled: BooleanColumn;
  created_at: TimestampColumn;
}

/** `api_keys`: scoped bearer keys of accounts; only the SHA-256 of each key is stored. */
export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  /** SHA-256 (lower-case hex) of the key; unique. */
  key_hash: string;
  /** JSON array of scope names, e.g. `["devices:read"]`. */
  scopes: string;
  created_at: TimestampColumn;
  last_used_at: TimestampColumn | null;
  revoked_at: TimestampColumn | null;
  expires_at: TimestampColumn | null;
}

/**
 * `audit_events`: the append-only, hash-chained audit log (src/audit). Rows are only ever
 * inserted, one at a time under a lock, so `seq` runs 1, 2, 3, … without gaps.
 */
export interface AuditEventsTable {
  seq: number;
  at: TimestampColumn;
  actor: string;
  action: string;
  dev_eui: string | null;
  outcome: 'success' | 'failure';
  /** JSON object as text. */
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * `claim_attempts`: failed-claim counters of brute-force protection, one row per key
 * (`device:<DevEUI>`, `account:<id>`, `client:<id>`, `ip:<address>`).
 */
export interface ClaimAttemptsTable {
  key: string;
  /** Failures since the last lock-out (or since the counter started again). */
  failures: number;
  /** How many times the key was locked out: the exponent of the next lock-out's length. */
  lockouts: number;
  locked_until: TimestampColumn | null;
  last_failure_at: TimestampColumn;
}

/** `ip_devices`: devices that open their own claim windows (ThingsBoard-compatible). */
export interface IpDevicesTable {
  id: string;
  name: string;
  /** The maker's account id, or `admin`: names are unique within a scope. */
  scope: string;
  provisioner_id: string | null;
  application_id: string | null;
  /** The gateway (an IP device) that announced this child device. */
  gateway_id: string | null;
  /** SHA-256 (hex) of the access token; null for gateway children. */
  access_token_hash: string | null;
  /** Per-device override of the claiming policy; null follows the default. */
  claiming_allowed: BooleanColumn | null;
  claimed_at: TimestampColumn | null;
  version: number;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

/** `claim_windows`: one open window per device; the secret sealed under `ipdevice:<id>:claimSecret`. */
export interface ClaimWindowsTable {
  device_id: string;
  secret: Sealed;
  expires_at: TimestampColumn;
  failures: number;
  opened_at: TimestampColumn;
}

/** `console_sessions`: the web console's sign-in sessions; only the SHA-256 of each session token is stored. */
export interface ConsoleSessionsTable {
  id: string;
  account_id: string;
  /** SHA-256 (lower-case hex) of the session token; unique. */
  token_hash: string;
  created_at: TimestampColumn;
  expires_at: TimestampColumn;
}

/** The Kysely database type shared by both dialects. */
export interface Database {
  devices: DevicesTable;
  session_keys: SessionKeysTable;
  peers: PeersTable;
  applications: ApplicationsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  outbox_events: OutboxEventsTable;
  ip_devices: IpDevicesTable;
  claim_windows: ClaimWindowsTable;
  claim_attempts: ClaimAttemptsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  console_sessions: ConsoleSessionsTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type SessionRow = Selectable<SessionKeysTable>;
export type PeerRow = Selectable<PeersTable>;
export type AccountRow = Selectable<AccountsTable>;
export type ApplicationRow = Selectable<ApplicationsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type OutboxEventRow = Selectable<OutboxEventsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type IpDeviceRow = Selectable<IpDevicesTable>;
export type ClaimWindowRow = Selectable<ClaimWindowsTable>;
export type NewDeviceRow = Insertable<DevicesTable>;
export type NewSessionRow = Insertable<SessionKeysTable>;

/** Reads a boolean column of either dialect. */
export function fromDbBoolean(value: boolean | number): boolean {
  return value === true || value === 1;
}

/** Writes a boolean column of either dialect. */
export function toDbBoolean(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

/** Reads a timestamp column of either dialect. */
export function fromDbTimestamp(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Writes a timestamp column of either dialect. */
export function toDbTimestamp(value: Date): string {
  return value.toISOString();
}
