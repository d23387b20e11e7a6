import { randomUUID } from 'node:crypto';
import { AlreadyExistsError } from '../shared/deed-error.js';
import type { AccountStore } from './account.js';

/**
 * On first start with no accounts, creates `admin` with the given password or a generated one.
 * Returns the password only when it was generated (the caller prints it once). Two processes
 * starting together create one admin: the loser's unique violation is ignored.
 */
export async function ensureAdminAccount(
  accounts: AccountStore,
  deps: { hash(password: string): Promise<string>; generatePassword(): string },
  configuredPassword: string | undefined,
): Promise<{ created: boolean; generatedPassword?: string }> {
  if ((await accounts.count()) > 0) return { created: false };
  const password = configuredPassword ?? deps.generatePassword();
  try {
    await accounts.create({ id: randomUUID(), username: 'admin', passwordHash: await deps.hash(password), role: 'admin' });
  } catch (err) {
    if (err instanceof AlreadyExistsError) return { created: false };
    throw err;
  }
  return configuredPassword === undefined ? { created: true, generatedPassword: password } : { created: true };
}
