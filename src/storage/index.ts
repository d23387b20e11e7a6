/**
 * Storage: SQLite (better-sqlite3) and PostgreSQL (pg) behind one Kysely schema, implementing the
 * storage ports of devices, peers, accounts, API keys, the key vault and the audit log.
 *
 * ```ts
 * const handle = await openDatabase(config.database.url, { log });
 * await migrateToLatest(handle);
 * const stores = createStores(handle);
 * // ...
 * await handle.close();
 * ```
 */
export { openDatabase, type OpenDatabaseOptions } from './open-database.js';
export type { DatabaseHandle, PostgresHandle, SqlDialect, SqliteHandle } from './database-handle.js';
export { parseDatabaseUrl, redactDatabaseUrl, type DatabaseLocation } from './database-url.js';
export { migrateToLatest, type MigrateOptions } from './migrate-to-latest.js';
export { createStores, type CreateStoresOptions, type Stores } from './create-stores.js';
export { createDeviceRepository, type DeviceRepositoryOptions, type JoinPath } from './device-repository.js';
export { createPeerRepository, type PeerRepositoryOptions } from './peer-repository.js';
export { createAccountRepository, type AccountRepositoryOptions } from './account-repository.js';
export { createApiKeyRepository, type ApiKeyRepositoryOptions } from './api-key-repository.js';
export { createSealedValueRepository } from './sealed-value-repository.js';
export { createAuditRepository, type AuditRepositoryOptions } from './audit-repository.js';
export { createAttemptLimiter, DEFAULT_ATTEMPT_LIMITS, lockoutLadder, type AttemptLimits } from './attempt-repository.js';
export { MigrationFailedError, StorageUnavailableError } from './errors.js';
export type { Database } from './schema.js';
