import type { Migration } from 'kysely';
import type { SqlDialect } from '../database-handle.js';
import { initialPostgres } from './postgres/0001-initial.js';
import { accountsApiKeysPostgres } from './postgres/0002-accounts-api-keys.js';
import { auditLogPostgres } from './postgres/0003-audit-log.js';
import { custodyOwnershipPostgres } from './postgres/0004-custody-ownership.js';
import { claimsPostgres } from './postgres/0005-claims.js';
import { claimAttemptsPostgres } from './postgres/0006-claim-attempts.js';
import { webhooksPostgres } from './postgres/0007-webhooks.js';
import { consoleSessionsPostgres } from './postgres/0008-console-sessions.js';
import { ipDevicesPostgres } from './postgres/0009-ip-devices.js';
import { initialSqlite } from './sqlite/0001-initial.js';
import { accountsApiKeysSqlite } from './sqlite/0002-accounts-api-keys.js';
import { auditLogSqlite } from './sqlite/0003-audit-log.js';
import { custodyOwnershipSqlite } from './sqlite/0004-custody-ownership.js';
import { claimsSqlite } from './sqlite/0005-claims.js';
import { claimAttemptsSqlite } from './sqlite/0006-claim-attempts.js';
import { webhooksSqlite } from './sqlite/0007-webhooks.js';
import { consoleSessionsSqlite } from './sqlite/0008-console-sessions.js';
import { ipDevicesSqlite } from './sqlite/0009-ip-devices.js';

/**
 * Every migration of each dialect, by name. Names sort in the order they run; both dialects
 * keep the same names so a schema version means the same thing on either. Listed statically
 * (no directory scanning) so they run the same from `src/` under tsx and from `dist/`.
 */
export const migrationsByDialect: Readonly<Record<SqlDialect, Readonly<Record<string, Migration>>>> = {
  sqlite: {
    '0001-initial': initialSqlite,
    '0002-accounts-api-keys': accountsApiKeysSqlite,
    '0003-audit-log': auditLogSqlite,
    '0004-custody-ownership': custodyOwnershipSqlite,
    '0005-claims': claimsSqlite,
    '0006-claim-attempts': claimAttemptsSqlite,
    '0007-webhooks': webhooksSqlite,
    '0008-console-sessions': consoleSessionsSqlite,
    '0009-ip-devices': ipDevicesSqlite,
  },
  postgres: {
    '0001-initial': initialPostgres,
    '0002-accounts-api-keys': accountsApiKeysPostgres,
    '0003-audit-log': auditLogPostgres,
    '0004-custody-ownership': custodyOwnershipPostgres,
    '0005-claims': claimsPostgres,
    '0006-claim-attempts': claimAttemptsPostgres,
    '0007-webhooks': webhooksPostgres,
    '0008-console-sessions': consoleSessionsPostgres,
    '0009-ip-devices': ipDevicesPostgres,
  },
};
