import type { AccountRecord, AccountStore, NewAccount } from '../accounts/account.js';
import type { DatabaseHandle } from './database-handle.js';
import { type AccountRow, fromDbBoolean, fromDbTimestamp, toDbBoolean, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** Options of {@link createAccountRepository}. */
export interface AccountRepositoryOptions {
  /** Source of `createdAt`; the system clock by default. */
  readonly now?: () => Date;
}

/** AccountStore over Kysely (both dialects). Usernames are matched exactly; lists are by username. */
export function createAccountRepository(handle: DatabaseHandle, options: AccountRepositoryOptions = {}): AccountStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;

  return {
    async create(account: NewAccount): Promise<AccountRecord> {
      const row = await translateUniqueViolation('account', { username: account.username }, () =>
        db
          .insertInto('accounts')
          .values({
            id: account.id,
            username: account.username,
            password_hash: account.passwordHash,
            role: account.role,
            disabled: toDbBoolean(account.disabled ?? false),
            created_at: toDbTimestamp(now()),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return accountFromRow(row);
    },

    async getByUsername(username: string): Promise<AccountRecord | null> {
      const row = await db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
      return row === undefined ? null : accountFromRow(row);
    },

    async getById(id: string): Promise<AccountRecord | null> {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : accountFromRow(row);
    },

    async list(): Promise<AccountRecord[]> {
      return (await db.selectFrom('accounts').selectAll().orderBy('username').execute()).map(accountFromRow);
    },

    async count(): Promise<number> {
      const { n } = await db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n);
    },

    async setDisabled(username: string, disabled: boolean): Promise<boolean> {
      const result = await db
        .updateTable('accounts')
        .set({ disabled: toDbBoolean(disabled) })
        .where('username', '=', username)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
      const result = await db.updateTable('accounts').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function accountFromRow(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    disabled: fromDbBoolean(row.disabled),
    createdAt: fromDbTimestamp(row.created_at),
  };
}
