import { type Kysely, type Migration, sql } from 'kysely';

/** Ids compare byte by byte, as on SQLite (see 0001-initial). */
const byteOrder = sql`collate "C"`;

/**
 * PostgreSQL: `api_keys`, scoped bearer keys of accounts. Only the SHA-256 of a key is stored
 * (unique); scopes are a JSON array as text; timestamps `timestamptz`.
 */
export const accountsApiKeysPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('account_id', 'text', (col) =>
        col.modifyFront(byteOrder).notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('key_hash', 'text', (col) => col.notNull())
      .addColumn('scopes', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('expires_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('api_keys_key_hash_key').on('api_keys').column('key_hash').unique().execute();
    await db.schema.createIndex('api_keys_account_id_idx').on('api_keys').columns(['account_id', 'created_at', 'id']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('api_keys').execute();
  },
};
