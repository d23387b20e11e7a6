import { createHash, randomBytes } from 'node:crypto';
import { UnauthorizedError } from '../shared/errors.js';
import type { AccountRecord, AccountStore } from './account.js';

/** Password hashing, injected (scrypt in keyvault/password-hash.ts). */
export interface PasswordVerifier {
  verify(password: string, stored: string): Promise<boolean>;
  hash(password: string): Promise<string>;
}

export interface Authenticator {
  /** Verifies a username and password; UnauthorizedError when wrong or disabled. */
  authenticate(username: string, password: string): Promise<AccountRecord>;
}

/**
 * Checks credentials against the account store. A memory-hard hash costs tens of milliseconds,
 * so a successful check is remembered for a short while (keyed by a hash of the credentials,
 * never the password itself); a disabled account stops working within `cacheMs`.
 */
export function createAuthenticator(
  accounts: AccountStore, passwords: PasswordVerifier, options: { cacheMs?: number; now?: () => number } = {},
): Authenticator {
  const cacheMs = options.cacheMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { account: AccountRecord; expires: number }>();
  // A hash of a password nobody knows, checked when the account is unknown so that timing does
  // not tell which usernames exist.
  let dummyHash: Promise<string> | undefined;

  return {
    async authenticate(username, password) {
      const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
      const hit = cache.get(key);
      if (hit !== undefined && hit.expires > now()) return hit.account;
      cache.delete(key);
      const account = await accounts.getByUsername(username);
      dummyHash ??= passwords.hash(randomBytes(16).toString('hex'));
      const ok = await passwords.verify(password, account?.passwordHash ?? (await dummyHash));
      if (account === null || !ok || account.disabled) throw new UnauthorizedError('wrong username or password');
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { account, expires: now() + cacheMs });
      return account;
    },
  };
}
