import { API_KEY_TOUCH_INTERVAL_MS, type ApiKeyRecord, type ApiKeyStore, type NewApiKey } from '../accounts/api-key.js';
import type { DatabaseHandle } from './database-handle.js';
import { type ApiKeyRow, fromDbTimestamp, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** Options of {@link createApiKeyRepository}. */
export interface ApiKeyRepositoryOptions {
  /** Source of `createdAt`; the system clock by default. */
  readonly now?: () => Date;
}

/** ApiKeyStore over Kysely (both dialects). An account's keys are listed oldest first. */
export function createApiKeyRepository(handle: DatabaseHandle, options: ApiKeyRepositoryOptions = {}): ApiKeyStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  const findBy = async (column: 'id' | 'key_hash', value: string): Promise<ApiKeyRecord | null> => {
    const row = await db.selectFrom('api_keys').selectAll().where(column, '=', value).executeTakeFirst();
    return row === undefined ? null : apiKeyFromRow(row);
  };

  return {
    async create(key: NewApiKey): Promise<ApiKeyRecord> {
      const row = await translateUniqueViolation('API key', { id: key.id }, () =>
        db
          .insertInto('api_keys')
          .values({
            id: key.id,
            account_id: key.accountId,
            name: key.name,
            key_hash: key.keyHash,
            scopes: JSON.stringify(key.scopes),
            created_at: toDbTimestamp(now()),
            last_used_at: null,
            revoked_at: null,
            expires_at: key.expiresAt === null ? null : toDbTimestamp(key.expiresAt),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return apiKeyFromRow(row);
    },

    get: (id) => findBy('id', id),

    findByHash: (keyHash) => findBy('key_hash', keyHash),

    async listForAccount(accountId: string): Promise<ApiKeyRecord[]> {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(apiKeyFromRow);
    },

    async revoke(id: string, at: Date): Promise<boolean> {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: toDbTimestamp(at) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async touch(id: string, at: Date): Promise<boolean> {
      // One conditional UPDATE: of instances touching the same key at once, at most one writes.
      const before = toDbTimestamp(new Date(at.getTime() - API_KEY_TOUCH_INTERVAL_MS));
      const result = await db
        .updateTable('api_keys')
        .set({ last_used_at: toDbTimestamp(at) })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', before)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function parseScopes(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((scope): scope is string => typeof scope === 'string') : [];
}

function optionalTimestamp(value: Date | string | null): Date | null {
  return value === null ? null : fromDbTimestamp(value);
}

function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    keyHash: row.key_hash,
    scopes: parseScopes(row.scopes),
    createdAt: fromDbTimestamp(row.created_at),
    lastUsedAt: optionalTimestamp(row.last_used_at),
    revokedAt: optionalTimestamp(row.revoked_at),
    expiresAt: optionalTimestamp(row.expires_at),
  };
}
