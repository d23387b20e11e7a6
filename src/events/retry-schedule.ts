/** How failed deliveries are retried (settings `webhooks.*`, docs/events.md). */
export interface RetryPolicy {
  /** Attempts in all, the first included; after the last failed one the delivery is given up. */
  readonly maxAttempts: number;
  /** Wait after the first failed attempt, ms; it doubles after each further failure. */
  readonly baseDelayMs: number;
  /** The longest wait between two attempts, ms. */
  readonly maxDelayMs: number;
}

/** 1 s, 2 s, 4 s … capped at 1 h; 36 attempts span about 24 hours. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxAttempts: 36, baseDelayMs: 1_000, maxDelayMs: 3_600_000 });

/**
 * The wait before the next attempt after `attempts` failed ones (1, 2, …): base × 2^(attempts−1),
 * at most `maxDelayMs`; null when `attempts` used them all up (give up).
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number | null {
  if (attempts >= policy.maxAttempts) return null;
  const exponent = Math.max(0, attempts - 1);
  // 2^exponent overflows nothing before the cap is reached: the cap applies long before 2^1023.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 52));
}

/** The waits between attempts, first to last (one fewer than `maxAttempts`), for documentation and tests. */
export function retrySchedule(policy: RetryPolicy): number[] {
  const delays: number[] = [];
  for (let attempts = 1; ; attempts += 1) {
    const delay = retryDelayMs(policy, attempts);
    if (delay === null) return delays;
    delays.push(delay);
  }
}
