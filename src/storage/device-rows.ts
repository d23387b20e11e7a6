import type { DeviceRecord, JoinDeviceRecord, NewDevice, SessionRecord } from '../devices/device.js';
import {
  type DeviceRow,
  fromDbBoolean,
  fromDbTimestamp,
  type NewDeviceRow,
  type NewSessionRow,
  type SessionRow,
  toDbBoolean,
  toDbTimestamp,
} from './schema.js';

/** EUIs, NetIDs and session key ids are stored as upper-case hex. */
export function normalizeHex(value: string): string {
  return value.toUpperCase();
}

/** The `devices` row of a new device, with empty LoRaWAN state and version 1. */
export function newDeviceRow(device: NewDevice, now: Date): NewDeviceRow {
  const at = toDbTimestamp(now);
  return {
    dev_eui: normalizeHex(device.devEui),
    join_eui: normalizeHex(device.joinEui),
    mac_version: device.macVersion,
    app_key: device.appKey,
    nwk_key: device.nwkKey,
    home_net_id: device.homeNetId,
    home_ns_id: device.homeNsId,
    as_id: device.asId,
    resets_join_nonces: toDbBoolean(device.resetsJoinNonces),
    last_dev_nonce: null,
    used_dev_nonces: '[]',
    last_join_nonce: 0,
    version: 1,
    created_at: at,
    updated_at: at,
    name: device.name ?? null,
    vendor_id: device.vendorId ?? null,
    vendor_profile_id: device.vendorProfileId ?? null,
    se_unique_id: device.secureElement?.uniqueId ?? null,
    se_model: device.secureElement?.model ?? null,
    se_part_number: device.secureElement?.partNumber ?? null,
    se_signer_kid: device.secureElement?.signerKid ?? null,
    se_generation: device.secureElement?.generation ?? null,
    import_format: device.provenance?.format ?? null,
    import_file_sha256: device.provenance?.fileSha256 ?? null,
    imported_by: device.provenance?.importedBy ?? null,
    provisioner_id: device.provisionerId ?? null,
    application_id: device.applicationId ?? null,
    owner_token: device.ownerToken ?? null,
    owner_token_valid_from: optionalTimestamp(device.ownerTokenValidFrom),
    owner_token_valid_to: optionalTimestamp(device.ownerTokenValidTo),
    claim_locked: 0,
    root_keys_exposed_at: null,
    root_keys_exposed_by: null,
    as_kek_label: null,
    as_kek: null,
    claimed_at: device.applicationId !== undefined && device.applicationId !== null ? at : null,
  };
}

function optionalTimestamp(value: Date | null | undefined): string | null {
  return value === undefined || value === null ? null : toDbTimestamp(value);
}

function readTimestamp(value: Date | string | null): Date | null {
  return value === null ? null : fromDbTimestamp(value);
}

/** The `devices` columns a join reads ({@link JoinDeviceRecord}), for both dialects' queries. */
export const JOIN_DEVICE_COLUMNS = [
  'dev_eui', 'join_eui', 'mac_version', 'app_key', 'nwk_key', 'home_net_id', 'home_ns_id', 'as_id',
  'resets_join_nonces', 'last_dev_nonce', 'used_dev_nonces', 'last_join_nonce', 'version', 'as_kek_label', 'as_kek',
] as const satisfies readonly (keyof DeviceRow)[];

/** A row of {@link JOIN_DEVICE_COLUMNS}. */
export type JoinDeviceRow = Pick<DeviceRow, typeof JOIN_DEVICE_COLUMNS[number]>;

/** Maps a row of {@link JOIN_DEVICE_COLUMNS} to what a join reads, exactly as {@link deviceFromRow} maps those fields. */
export function joinDeviceFromRow(row: JoinDeviceRow): JoinDeviceRecord {
  return {
    devEui: row.dev_eui,
    joinEui: row.join_eui,
    macVersion: row.mac_version,
    appKey: row.app_key,
    nwkKey: row.nwk_key,
    homeNetId: row.home_net_id,
    homeNsId: row.home_ns_id,
    asId: row.as_id,
    resetsJoinNonces: fromDbBoolean(row.resets_join_nonces),
    lastDevNonce: row.last_dev_nonce,
    usedDevNonces: parseNonces(row.used_dev_nonces),
    lastJoinNonce: row.last_join_nonce,
    version: row.version,
    asKek: row.as_kek === null ? null : { label: row.as_kek_label ?? '', key: row.as_kek },
  };
}

/** Maps a `devices` row (from either dialect) to the domain record. */
export function deviceFromRow(row: DeviceRow): DeviceRecord {
  // One object literal, not `...joinDeviceFromRow(row)` plus the rest: with the spread, records
  // of this size take a larger, slower shape, and an import makes one per device (bench:import's
  // peak server memory for 100,000 entries rose from 230-297 MB to 308-319 MB, over its 300 MB).
  return {
    devEui: row.dev_eui,
    joinEui: row.join_eui,
    macVersion: row.mac_version,
    appKey: row.app_key,
    nwkKey: row.nwk_key,
    homeNetId: row.home_net_id,
    homeNsId: row.home_ns_id,
    asId: row.as_id,
    resetsJoinNonces: fromDbBoolean(row.resets_join_nonces),
    lastDevNonce: row.last_dev_nonce,
    usedDevNonces: parseNonces(row.used_dev_nonces),
    lastJoinNonce: row.last_join_nonce,
    version: row.version,
    createdAt: fromDbTimestamp(row.created_at),
    updatedAt: fromDbTimestamp(row.updated_at),
    name: row.name,
    vendorId: row.vendor_id,
    vendorProfileId: row.vendor_profile_id,
    secureElement: row.se_unique_id === null ? null : {
      uniqueId: row.se_unique_id,
      model: row.se_model ?? '',
      partNumber: row.se_part_number ?? '',
      signerKid: row.se_signer_kid ?? '',
      generation: row.se_generation ?? 'B',
    },
    provenance: row.import_format === null ? null : {
      format: row.import_format,
      fileSha256: row.import_file_sha256 ?? '',
      importedBy: row.imported_by ?? '',
    },
    provisionerId: row.provisioner_id,
    applicationId: row.application_id,
    ownerToken: row.owner_token,
    ownerTokenValidFrom: readTimestamp(row.owner_token_valid_from),
    ownerTokenValidTo: readTimestamp(row.owner_token_valid_to),
    claimLocked: fromDbBoolean(row.claim_locked),
    rootKeysExposed: row.root_keys_exposed_at === null ? null : {
      at: fromDbTimestamp(row.root_keys_exposed_at),
      by: row.root_keys_exposed_by ?? '',
    },
    asKek: row.as_kek === null ? null : { label: row.as_kek_label ?? '', key: row.as_kek },
    claimedAt: readTimestamp(row.claimed_at),
  };
}

/** `used_dev_nonces` as stored: a JSON array of integers. */
export function serializeNonces(nonces: readonly number[]): string {
  return JSON.stringify(nonces);
}

function parseNonces(text: string): readonly number[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((n) => Number.isInteger(n))) {
    throw new Error('devices.used_dev_nonces is not a JSON array of integers');
  }
  return parsed as number[];
}

/** The `session_keys` row of a session. */
export function sessionRow(session: SessionRecord): NewSessionRow {
  return {
    dev_eui: normalizeHex(session.devEui),
    session_key_id: normalizeHex(session.sessionKeyId),
    mac_version: session.macVersion,
    join_nonce: session.joinNonce,
    dev_nonce: session.devNonce,
    net_id: session.netId,
    as_id: session.asId,
    nwk_s_key: session.nwkSKey,
    f_nwk_s_int_key: session.fNwkSIntKey,
    s_nwk_s_int_key: session.sNwkSIntKey,
    nwk_s_enc_key: session.nwkSEncKey,
    app_s_key: session.appSKey,
    created_at: toDbTimestamp(session.createdAt),
  };
}

/** Maps a `session_keys` row (from either dialect) to the domain record. */
export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    devEui: row.dev_eui,
    sessionKeyId: row.session_key_id,
    macVersion: row.mac_version,
    joinNonce: row.join_nonce,
    devNonce: row.dev_nonce,
    netId: row.net_id,
    asId: row.as_id,
    nwkSKey: row.nwk_s_key,
    fNwkSIntKey: row.f_nwk_s_int_key,
    sNwkSIntKey: row.s_nwk_s_int_key,
    nwkSEncKey: row.nwk_s_enc_key,
    appSKey: row.app_s_key,
    createdAt: fromDbTimestamp(row.created_at),
  };
}

/**
 * How many sessions besides the one a join inserts survive the prune: the newest
 * `keepSessions - 1` (the new session is always kept, so fewer than 1 counts as 1).
 */
export function otherSessionsToKeep(keepSessions: number): number {
  return Math.max(0, Math.floor(keepSessions) - 1);
}
