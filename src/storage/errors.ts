import { DeedError } from '../shared/deed-error.js';

/**
 * The database cannot be opened or reached. The message names the database (a file path, or a
 * URL with its password replaced by `***`) and the driver's reason; it never carries a password.
 */
export class StorageUnavailableError extends DeedError {
  constructor(where: string, reason: string) {
    super('storage_unavailable', `Cannot open database ${where}: ${reason}`, { database: where });
    this.name = 'StorageUnavailableError';
  }
}

/** A migration failed at start-up; the message names the migration when known. */
export class MigrationFailedError extends DeedError {
  constructor(reason: string, migration?: string) {
    super(
      'migration_failed',
      migration === undefined ? `Database migration failed: ${reason}` : `Database migration ${migration} failed: ${reason}`,
      migration === undefined ? undefined : { migration },
    );
    this.name = 'MigrationFailedError';
  }
}
