import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL: devices, session keys, peers, accounts. EUIs and sealed values are text, booleans
 * `boolean`, timestamps `timestamptz`, `used_dev_nonces` a JSON array as text.
 */
/**
 * Keys and cursors compare byte by byte (collation "C"), as SQLite's BINARY does, so listing
 * order and keyset pagination are the same on both dialects.
 */
const byteOrder = sql`collate "C"`;

export const initialPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('devices')
      .addColumn('dev_eui', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('join_eui', 'text', (col) => col.modifyFront(byteOrder).notNull())
      .addColumn('mac_version', 'text', (col) => col.notNull())
      .addColumn('app_key', 'text')
      .addColumn('nwk_key', 'text')
      .addColumn('home_net_id', 'text')
      .addColumn('home_ns_id', 'text')
      .addColumn('as_id', 'text')
      .addColumn('resets_join_nonces', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('last_dev_nonce', 'integer')
      .addColumn('used_dev_nonces', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('last_join_nonce', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('session_keys')
      .addColumn('dev_eui', 'text', (col) =>
        col.modifyFront(byteOrder).notNull().references('devices.dev_eui').onDelete('cascade'))
      .addColumn('session_key_id', 'text', (col) => col.modifyFront(byteOrder).notNull())
      .addColumn('mac_version', 'text', (col) => col.notNull())
      .addColumn('join_nonce', 'integer', (col) => col.notNull())
      .addColumn('dev_nonce', 'integer', (col) => col.notNull())
      .addColumn('net_id', 'text', (col) => col.notNull())
      .addColumn('as_id', 'text')
      .addColumn('nwk_s_key', 'text')
      .addColumn('f_nwk_s_int_key', 'text')
      .addColumn('s_nwk_s_int_key', 'text')
      .addColumn('nwk_s_enc_key', 'text')
      .addColumn('app_s_key', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addPrimaryKeyConstraint('session_keys_pkey', ['dev_eui', 'session_key_id'])
      .execute();
    await db.schema
      // Serves "newest sessions first" (created_at, then session_key_id) without a sort.
      .createIndex('session_keys_dev_eui_created_at_idx')
      .on('session_keys')
      .columns(['dev_eui', 'created_at', 'session_key_id'])
      .execute();

    await db.schema
      .createTable('peers')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('ns', 'as')`))
      .addColumn('net_id', 'text')
      .addColumn('ns_id', 'text')
      .addColumn('as_id', 'text')
      .addColumn('token_hash', 'text')
      .addColumn('cert_fingerprint', 'text')
      .addColumn('kek_label', 'text')
      .addColumn('kek', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('peers_token_hash_key')
      .on('peers')
      .column('token_hash')
      .unique()
      .where(sql.ref('token_hash'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('peers_cert_fingerprint_key')
      .on('peers')
      .column('cert_fingerprint')
      .unique()
      .where(sql.ref('cert_fingerprint'), 'is not', null)
      .execute();

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('username', 'text', (col) => col.modifyFront(byteOrder).notNull())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('admin', 'provisioner', 'owner')`))
      .addColumn('disabled', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('accounts_username_key').on('accounts').column('username').unique().execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('accounts').execute();
    await db.schema.dropTable('peers').execute();
    await db.schema.dropTable('session_keys').execute();
    await db.schema.dropTable('devices').execute();
  },
};
