import { type Kysely, sql } from 'kysely';
import type { ClaimWindowRecord, IpDevicePatch, IpDeviceRecord, IpDeviceStore, NewIpDevice, WindowPolicy } from '../claiming/ip-device.js';
import { appendAuditEvents } from './audit-repository.js';
import type { DatabaseHandle } from './database-handle.js';
import { appendOutboxEvents } from './outbox-repository.js';
import { type ClaimWindowRow, type Database, type IpDeviceRow, fromDbBoolean, fromDbTimestamp, toDbBoolean, toDbTimestamp } from './schema.js';
import { createSqliteWindowPath } from './sqlite-window-path.js';
import { translateUniqueViolation } from './unique-violation.js';
import { writeTransaction } from './write-transaction.js';

function deviceFromRow(row: IpDeviceRow): IpDeviceRecord {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    provisionerId: row.provisioner_id,
    applicationId: row.application_id,
    gatewayId: row.gateway_id,
    accessTokenHash: row.access_token_hash,
    claimingAllowed: row.claiming_allowed === null ? null : fromDbBoolean(row.claiming_allowed),
    claimedAt: row.claimed_at === null ? null : fromDbTimestamp(row.claimed_at),
    version: row.version,
    createdAt: fromDbTimestamp(row.created_at),
    updatedAt: fromDbTimestamp(row.updated_at),
  };
}

function windowFromRow(row: ClaimWindowRow): ClaimWindowRecord {
  return {
    deviceId: row.device_id,
    secret: row.secret,
    expiresAt: fromDbTimestamp(row.expires_at),
    failures: row.failures,
    openedAt: fromDbTimestamp(row.opened_at),
  };
}

/** Options of {@link createIpDeviceRepository}. */
export interface IpDeviceRepositoryOptions {
  /** Source of `createdAt` / `updatedAt`; the system clock by default. */
  readonly now?: () => Date;
  /**
   * On SQLite, run the window hot path (`getByTokenHash`, `putWindow`) on prepared statements with
   * group commit (`sqlite-window-path.ts`). Default true; false keeps every query on Kysely (the
   * contract tests run both). No effect on PostgreSQL.
   */
  readonly fastPath?: boolean;
}

/** The conditional window upsert of `putWindow` through Kysely, in the dialect's types. */
function putWindowQuery(handle: DatabaseHandle, window: Omit<ClaimWindowRecord, 'failures'>, policy: WindowPolicy) {
  const expiresAt = toDbTimestamp(window.expiresAt);
  const openedAt = toDbTimestamp(window.openedAt);
  if (handle.dialect === 'postgres') {
    return sql`insert into claim_windows (device_id, secret, expires_at, failures, opened_at)
      select id, cast(${window.secret} as text), cast(${expiresAt} as timestamptz), 0, cast(${openedAt} as timestamptz) from ip_devices
       where id = ${window.deviceId} and application_id is null and coalesce(claiming_allowed, cast(${policy.allowClaimingByDefault} as boolean))
      on conflict (device_id) do update
         set secret = excluded.secret, expires_at = excluded.expires_at, failures = 0, opened_at = excluded.opened_at`;
  }
  return sql`insert into claim_windows (device_id, secret, expires_at, failures, opened_at)
    select id, ${window.secret}, ${expiresAt}, 0, ${openedAt} from ip_devices
     where id = ${window.deviceId} and application_id is null and coalesce(claiming_allowed, ${toDbBoolean(policy.allowClaimingByDefault)}) = 1
    on conflict (device_id) do update
       set secret = excluded.secret, expires_at = excluded.expires_at, failures = 0, opened_at = excluded.opened_at`;
}

/** IpDeviceStore over Kysely (both dialects); on SQLite the window hot path runs on prepared statements. */
export function createIpDeviceRepository(handle: DatabaseHandle, options: IpDeviceRepositoryOptions = {}): IpDeviceStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  const fastPath = handle.dialect === 'sqlite' && options.fastPath !== false ? createSqliteWindowPath(handle) : undefined;
  const one = async (query: Promise<IpDeviceRow | undefined>) => {
    const row = await query;
    return row === undefined ? null : deviceFromRow(row);
  };

  return {
    async create(device: NewIpDevice): Promise<IpDeviceRecord> {
      const at = toDbTimestamp(now());
      const row = await translateUniqueViolation('device', { name: device.name }, () => db.insertInto('ip_devices').values({
        id: device.id,
        name: device.name,
        scope: device.scope,
        provisioner_id: device.provisionerId,
        application_id: null,
        gateway_id: device.gatewayId,
        access_token_hash: device.accessTokenHash,
        claiming_allowed: device.claimingAllowed === null ? null : toDbBoolean(device.claimingAllowed),
        claimed_at: null,
        version: 1,
        created_at: at,
        updated_at: at,
      }).returningAll().executeTakeFirstOrThrow());
      return deviceFromRow(row);
    },

    get: (id) => one(db.selectFrom('ip_devices').selectAll().where('id', '=', id).executeTakeFirst()),

    getByTokenHash: (hash) => one(fastPath !== undefined ? fastPath.getByTokenHash(hash)
      : db.selectFrom('ip_devices').selectAll().where('access_token_hash', '=', hash).executeTakeFirst()),

    async findByName(name: string): Promise<IpDeviceRecord[]> {
      return (await db.selectFrom('ip_devices').selectAll().where('name', '=', name).orderBy('created_at').execute()).map(deviceFromRow);
    },

    findChild: (gatewayId, name) => one(db.selectFrom('ip_devices').selectAll()
      .where('gateway_id', '=', gatewayId).where('name', '=', name).executeTakeFirst()),

    async list(scope, { limit, after }): Promise<IpDeviceRecord[]> {
      let query = db.selectFrom('ip_devices').selectAll().orderBy('name').orderBy('id').limit(limit);
      if (scope !== null) query = query.where('scope', '=', scope);
      if (after !== undefined) query = query.where('name', '>', after);
      return (await query.execute()).map(deviceFromRow);
    },

    async update(id: string, patch: IpDevicePatch, options): Promise<IpDeviceRecord | null> {
      const write = async (trx: Kysely<Database>) => {
        let query = trx.updateTable('ip_devices').set({
          ...(patch.applicationId !== undefined && { application_id: patch.applicationId }),
          ...(patch.claimedAt !== undefined && { claimed_at: patch.claimedAt === null ? null : toDbTimestamp(patch.claimedAt) }),
          ...(patch.claimingAllowed !== undefined && { claiming_allowed: patch.claimingAllowed === null ? null : toDbBoolean(patch.claimingAllowed) }),
          ...(patch.accessTokenHash !== undefined && { access_token_hash: patch.accessTokenHash }),
          updated_at: toDbTimestamp(now()),
          version: (eb) => eb('version', '+', 1),
        }).where('id', '=', id);
        if (options.expectedVersion !== undefined) query = query.where('version', '=', options.expectedVersion);
        const row = await query.returningAll().executeTakeFirst();
        if (row === undefined) return null;
        if (options.closeWindow === true) await trx.deleteFrom('claim_windows').where('device_id', '=', id).execute();
        if (options.audit !== undefined) await appendAuditEvents(trx, handle.dialect, [options.audit], now);
        if (options.events !== undefined) await appendOutboxEvents(trx, options.events);
        return deviceFromRow(row);
      };
      const alone = options.audit === undefined && options.events === undefined && options.closeWindow !== true;
      return alone ? write(db) : writeTransaction(handle, write);
    },

    async putWindow(window, policy): Promise<boolean> {
      if (fastPath !== undefined) {
        return fastPath.putWindow({
          deviceId: window.deviceId,
          secret: window.secret,
          expiresAt: toDbTimestamp(window.expiresAt),
          openedAt: toDbTimestamp(window.openedAt),
          allowByDefault: toDbBoolean(policy.allowClaimingByDefault),
        });
      }
      const result = await putWindowQuery(handle, window, policy).execute(db);
      return (result.numAffectedRows ?? 0n) > 0n;
    },

    async getWindow(deviceId: string): Promise<ClaimWindowRecord | null> {
      const row = await db.selectFrom('claim_windows').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
      return row === undefined ? null : windowFromRow(row);
    },

    async recordWindowFailure(deviceId: string, maxFailures: number): Promise<boolean> {
      // One statement each: count the failure, then close the window once the count reached the limit.
      await db.updateTable('claim_windows').set({ failures: sql<number>`failures + 1` }).where('device_id', '=', deviceId).execute();
      const closed = await db.deleteFrom('claim_windows').where('device_id', '=', deviceId).where('failures', '>=', maxFailures).executeTakeFirst();
      return closed.numDeletedRows > 0n;
    },

    async purgeExpiredWindows(at: Date): Promise<number> {
      const result = await db.deleteFrom('claim_windows').where('expires_at', '<', toDbTimestamp(at)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
