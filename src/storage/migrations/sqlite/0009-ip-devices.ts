import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: IP devices (ThingsBoard-style claiming) and their durable claim windows. A device's
 * name is unique within its scope (`scope`: the maker's account id, or `admin`); a gateway's
 * children (`gateway_id`) share its scope and have no access token of their own.
 */
export const ipDevicesSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('ip_devices')
      .addColumn('id', 'text', (col) => col.primaryKey().notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('scope', 'text', (col) => col.notNull())
      .addColumn('provisioner_id', 'text')
      .addColumn('application_id', 'text')
      .addColumn('gateway_id', 'text')
      .addColumn('access_token_hash', 'text')
      .addColumn('claiming_allowed', 'integer', (col) => col.check(sql`claiming_allowed in (0, 1)`))
      .addColumn('claimed_at', 'text')
      .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('ip_devices_scope_name_key').on('ip_devices').columns(['scope', 'name']).unique().execute();
    await db.schema.createIndex('ip_devices_name_idx').on('ip_devices').column('name').execute();
    await db.schema.createIndex('ip_devices_access_token_hash_key').on('ip_devices').column('access_token_hash').unique()
      .where(sql.ref('access_token_hash'), 'is not', null).execute();
    await db.schema
      .createTable('claim_windows')
      .addColumn('device_id', 'text', (col) => col.primaryKey().notNull().references('ip_devices.id').onDelete('cascade'))
      .addColumn('secret', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('opened_at', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('claim_windows_expires_at_idx').on('claim_windows').column('expires_at').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('claim_windows').execute();
    await db.schema.dropTable('ip_devices').execute();
  },
};
