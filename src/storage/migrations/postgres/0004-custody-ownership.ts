import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL: what issue 3 adds to a device (name, vendor profile, secure element and import
 * provenance, the maker's inventory, the owner application, the owner token with its validity
 * window, the claim lock, root-key exposure) and the `applications` table that owns devices.
 */
const byteOrder = sql`collate "C"`;

export const custodyOwnershipPostgres: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('applications')
      .addColumn('id', 'text', (col) => col.modifyFront(byteOrder).primaryKey())
      .addColumn('owner_id', 'text', (col) => col.notNull().references('accounts.id'))
      .addColumn('name', 'text')
      .addColumn('home_net_id', 'text')
      .addColumn('home_ns_id', 'text')
      .addColumn('as_id', 'text')
      .addColumn('as_kek_label', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('applications_owner_id_idx').on('applications').columns(['owner_id', 'id']).execute();

    await db.schema
      .alterTable('devices')
      .addColumn('name', 'text')
      .addColumn('vendor_id', 'text')
      .addColumn('vendor_profile_id', 'text')
      .addColumn('se_unique_id', 'text')
      .addColumn('se_model', 'text')
      .addColumn('se_part_number', 'text')
      .addColumn('se_signer_kid', 'text')
      .addColumn('se_generation', 'text')
      .addColumn('import_format', 'text')
      .addColumn('import_file_sha256', 'text')
      .addColumn('imported_by', 'text')
      .addColumn('provisioner_id', 'text', (col) => col.modifyFront(byteOrder))
      .addColumn('application_id', 'text', (col) => col.modifyFront(byteOrder))
      .addColumn('owner_token', 'text')
      .addColumn('owner_token_valid_from', 'timestamptz')
      .addColumn('owner_token_valid_to', 'timestamptz')
      .addColumn('claim_locked', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('root_keys_exposed_at', 'timestamptz')
      .addColumn('root_keys_exposed_by', 'text')
      .execute();
    await db.schema.createIndex('devices_se_unique_id_key').on('devices').column('se_unique_id').unique()
      .where(sql.ref('se_unique_id'), 'is not', null).execute();
    await db.schema.createIndex('devices_provisioner_id_idx').on('devices').columns(['provisioner_id', 'dev_eui']).execute();
    await db.schema.createIndex('devices_application_id_idx').on('devices').columns(['application_id', 'dev_eui']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('devices_application_id_idx').execute();
    await db.schema.dropIndex('devices_provisioner_id_idx').execute();
    await db.schema.dropIndex('devices_se_unique_id_key').execute();
    await db.schema
      .alterTable('devices')
      .dropColumn('root_keys_exposed_by').dropColumn('root_keys_exposed_at').dropColumn('claim_locked')
      .dropColumn('owner_token_valid_to').dropColumn('owner_token_valid_from').dropColumn('owner_token')
      .dropColumn('application_id').dropColumn('provisioner_id').dropColumn('imported_by')
      .dropColumn('import_file_sha256').dropColumn('import_format').dropColumn('se_generation')
      .dropColumn('se_signer_kid').dropColumn('se_part_number').dropColumn('se_model').dropColumn('se_unique_id')
      .dropColumn('vendor_profile_id').dropColumn('vendor_id').dropColumn('name')
      .execute();
    await db.schema.dropTable('applications').execute();
  },
};
