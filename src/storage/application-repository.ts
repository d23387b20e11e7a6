import type { ApplicationRecord, ApplicationStore, NewApplication } from '../applications/application.js';
import type { DatabaseHandle } from './database-handle.js';
import { type ApplicationRow, fromDbTimestamp, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

function applicationFromRow(row: ApplicationRow): ApplicationRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    homeNetId: row.home_net_id,
    homeNsId: row.home_ns_id,
    asId: row.as_id,
    asKekLabel: row.as_kek_label,
    createdAt: fromDbTimestamp(row.created_at),
  };
}

/** ApplicationStore over Kysely (both dialects). */
export function createApplicationRepository(handle: DatabaseHandle, options: { now?: () => Date } = {}): ApplicationStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  return {
    async create(application: NewApplication): Promise<ApplicationRecord> {
      const row = await translateUniqueViolation('application', { id: application.id }, () =>
        db.insertInto('applications').values({
          id: application.id,
          owner_id: application.ownerId,
          name: application.name,
          home_net_id: application.homeNetId,
          home_ns_id: application.homeNsId,
          as_id: application.asId,
          as_kek_label: application.asKekLabel,
          created_at: toDbTimestamp(now()),
        }).returningAll().executeTakeFirstOrThrow());
      return applicationFromRow(row);
    },

    async get(id: string): Promise<ApplicationRecord | null> {
      const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : applicationFromRow(row);
    },

    async listByOwner(ownerId: string): Promise<ApplicationRecord[]> {
      const rows = await db.selectFrom('applications').selectAll().where('owner_id', '=', ownerId).orderBy('id').execute();
      return rows.map(applicationFromRow);
    },
  };
}
