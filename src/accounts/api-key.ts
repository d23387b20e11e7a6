/**
 * API keys: bearer secrets (`dk_…`) that let scripts act for an account within a set of scopes.
 * Only the SHA-256 of a key is stored; the key itself is shown once, when it is created.
 */
export interface ApiKeyRecord {
  /** Stable id, shown in lists and used to revoke the key (not secret). */
  readonly id: string;
  /** The account the key acts for. */
  readonly accountId: string;
  /** A label chosen by the account, e.g. "label printer". */
  readonly name: string;
  /** SHA-256 (lower-case hex) of the whole key, see keyvault/secret-token.ts `hashToken`. */
  readonly keyHash: string;
  /** What the key may do, see scopes.ts; never more than the account's role allows. */
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  /** Last successful authentication, recorded at most once per {@link API_KEY_TOUCH_INTERVAL_MS}. */
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  /** After this instant the key no longer authenticates; null: it does not expire. */
  readonly expiresAt: Date | null;
}

export type NewApiKey = Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

/** `lastUsedAt` is written at most this often per key, so busy scripts do not write on every request. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/** Storage port for API keys. */
export interface ApiKeyStore {
  /** Throws AlreadyExistsError (`already_exists`) when the id or key hash is taken. */
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** The key with this hash, revoked and expired ones included (the caller decides). */
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** Every key of an account, revoked and expired ones included, oldest first. */
  listForAccount(accountId: string): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at `at`; false when there is no such key or it was already revoked. */
  revoke(id: string, at: Date): Promise<boolean>;
  /**
   * Records a use at `at`, unless one was recorded less than {@link API_KEY_TOUCH_INTERVAL_MS}
   * before (a conditional update, so instances sharing a database also write at most once a
   * minute). True when it wrote.
   */
  touch(id: string, at: Date): Promise<boolean>;
}
