/**
 * Brute-force protection for claims: failed attempts are counted per device, per claimant
 * (account or claim client) and per source address; past a threshold the key is locked out for
 * a time that doubles with every further failure. A correct token does not bypass a lock-out.
 */

/** What an attempt is counted against: `device:<DevEUI>`, `account:<id>`, `client:<id>`, `ip:<address>`. */
export type AttemptKey = string;

/** The keys of one claim attempt. */
export function attemptKeys(parts: { devEui?: string | null; claimant: string; source?: string | null }): AttemptKey[] {
  return [
    ...(parts.devEui !== undefined && parts.devEui !== null ? [`device:${parts.devEui}`] : []),
    parts.claimant,
    ...(parts.source !== undefined && parts.source !== null && parts.source !== '' ? [`ip:${parts.source}`] : []),
  ];
}

/** Port of the attempt limiter (storage-backed so every instance sees the same counts). */
export interface AttemptLimiter {
  /**
   * Resolves when no key is locked out at `now`; otherwise resolves with the seconds to wait
   * (the largest over the locked keys), rounded up.
   */
  check(keys: readonly AttemptKey[], now: Date): Promise<{ readonly retryAfterSeconds: number } | null>;
  /** Counts a failure against every key; locks a key out once it passes the threshold. */
  recordFailure(keys: readonly AttemptKey[], now: Date): Promise<void>;
  /**
   * A successful claim clears the device's and the claimant's counts (not the address's).
   * `claimDevice` has the device store do this in the claim's own transaction instead
   * (`UpdateOptions.clearAttempts`, the same effect on the storage-backed limiter).
   */
  recordSuccess(keys: readonly AttemptKey[], now: Date): Promise<void>;
}
