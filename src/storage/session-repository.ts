import type { ConsoleSessionRecord, ConsoleSessionStore } from '../accounts/console-session.js';
import type { DatabaseHandle } from './database-handle.js';
import { fromDbTimestamp, toDbTimestamp } from './schema.js';

/** ConsoleSessionStore over Kysely (both dialects): `console_sessions`, migration 0008. */
export function createConsoleSessionRepository(handle: DatabaseHandle): ConsoleSessionStore {
  const { db } = handle;
  return {
    async create(session: ConsoleSessionRecord): Promise<void> {
      await db.insertInto('console_sessions').values({
        id: session.id,
        account_id: session.accountId,
        token_hash: session.tokenHash,
        created_at: toDbTimestamp(session.createdAt),
        expires_at: toDbTimestamp(session.expiresAt),
      }).execute();
    },

    async findByHash(tokenHash: string): Promise<ConsoleSessionRecord | null> {
      const row = await db.selectFrom('console_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row === undefined ? null : {
        id: row.id,
        accountId: row.account_id,
        tokenHash: row.token_hash,
        createdAt: fromDbTimestamp(row.created_at),
        expiresAt: fromDbTimestamp(row.expires_at),
      };
    },

    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('console_sessions').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async removeForAccount(accountId: string, exceptId?: string): Promise<number> {
      let query = db.deleteFrom('console_sessions').where('account_id', '=', accountId);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async removeExpired(now: Date): Promise<number> {
      const result = await db.deleteFrom('console_sessions').where('expires_at', '<=', toDbTimestamp(now)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
