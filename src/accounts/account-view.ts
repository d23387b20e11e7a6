import type { AccountRecord, Role } from './account.js';
import type { ApiKeyRecord } from './api-key.js';

/** What the API shows of an account: never its password hash. */
export interface AccountView {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export function toAccountView(account: AccountRecord): AccountView {
  return {
    id: account.id,
    username: account.username,
    role: account.role,
    disabled: account.disabled,
    createdAt: account.createdAt.toISOString(),
  };
}

/** `active`, or why the key no longer authenticates. */
export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

/** What the API shows of an API key: never the key or its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly status: ApiKeyStatus;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

/** The status of a key at `now`. */
export function apiKeyStatus(key: ApiKeyRecord, now: Date): ApiKeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

export function toApiKeyView(key: ApiKeyRecord, now: Date): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    scopes: [...key.scopes],
    status: apiKeyStatus(key, now),
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
