import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite: what issue 3 adds to a device (name, vendor profile, secure element and import
 * provenance, the maker's inventory, the owner application, the owner token with its validity
 * window, the claim lock, root-key exposure) and the `applications` table that owns devices.
 */
export const custodyOwnershipSqlite: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('applications')
      .addColumn('id', 'text', (col) => col.primaryKey().notNull())
      .addColumn('owner_id', 'text', (col) => col.notNull().references('accounts.id'))
      .addColumn('name', 'text')
      .addColumn('home_net_id', 'text')
      .addColumn('home_ns_id', 'text')
      .addColumn('as_id', 'text')
      .addColumn('as_kek_label', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('applications_owner_id_idx').on('applications').columns(['owner_id', 'id']).execute();

    const columns: [string, 'text' | 'integer', boolean][] = [
      ['name', 'text', false],
      ['vendor_id', 'text', false],
      ['vendor_profile_id', 'text', false],
      ['se_unique_id', 'text', false],
      ['se_model', 'text', false],
      ['se_part_number', 'text', false],
      ['se_signer_kid', 'text', false],
      ['se_generation', 'text', false],
      ['import_format', 'text', false],
      ['import_file_sha256', 'text', false],
      ['imported_by', 'text', false],
      ['provisioner_id', 'text', false],
      ['application_id', 'text', false],
      ['owner_token', 'text', false],
      ['owner_token_valid_from', 'text', false],
      ['owner_token_valid_to', 'text', false],
      ['claim_locked', 'integer', true],
      ['root_keys_exposed_at', 'text', false],
      ['root_keys_exposed_by', 'text', false],
    ];
    for (const [name, type, flag] of columns) {
      await db.schema
        .alterTable('devices')
        .addColumn(name, type, (col) => (flag ? col.notNull().defaultTo(0).check(sql`${sql.ref(name)} in (0, 1)`) : col))
        .execute();
    }
    await db.schema.createIndex('devices_se_unique_id_key').on('devices').column('se_unique_id').unique()
      .where(sql.ref('se_unique_id'), 'is not', null).execute();
    await db.schema.createIndex('devices_provisioner_id_idx').on('devices').columns(['provisioner_id', 'dev_eui']).execute();
    await db.schema.createIndex('devices_application_id_idx').on('devices').columns(['application_id', 'dev_eui']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('devices_application_id_idx').execute();
    await db.schema.dropIndex('devices_provisioner_id_idx').execute();
    await db.schema.dropIndex('devices_se_unique_id_key').execute();
    for (const name of [
      'root_keys_exposed_by', 'root_keys_exposed_at', 'claim_locked', 'owner_token_valid_to', 'owner_token_valid_from',
      'owner_token', 'application_id', 'provisioner_id', 'imported_by', 'import_file_sha256', 'import_format',
      'se_generation', 'se_signer_kid', 'se_part_number', 'se_model', 'se_unique_id', 'vendor_profile_id', 'vendor_id', 'name',
    ]) {
      await db.schema.alterTable('devices').dropColumn(name).execute();
    }
    await db.schema.dropTable('applications').execute();
  },
};
