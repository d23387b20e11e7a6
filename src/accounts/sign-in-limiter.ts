/**
 * Brute-force protection of the console's sign-in: failed sign-ins are counted per username and
 * per client address, in this process's memory. Past a threshold the key is locked out for
 * `lockoutSeconds`, doubling with every further lock-out up to `lockoutMaxSeconds`; a correct
 * password does not bypass a lock-out. A key quiet for `windowSeconds` starts again from zero.
 *
 * In memory on purpose: a lock-out per instance is enough to make guessing slow (each guess is
 * also a 32 MiB scrypt), and a restart forgetting the counts is harmless. HTTP Basic and API keys
 * are not counted here.
 */
export interface SignInLimiter {
  /** Seconds to wait (rounded up) when the username or the address is locked out at `now`; else null. */
  check(username: string, source: string, now: Date): number | null;
  /** Counts a failure; returns the seconds to wait when this failure locked a key out, else null. */
  recordFailure(username: string, source: string, now: Date): number | null;
  /** Clears the username's count (not the address's). */
  recordSuccess(username: string, now: Date): void;
}

/** Thresholds of {@link createSignInLimiter}. */
export interface SignInLimits {
  readonly maxFailuresUsername: number;
  readonly maxFailuresAddress: number;
  readonly lockoutSeconds: number;
  readonly lockoutMaxSeconds: number;
  readonly windowSeconds: number;
}

/** 5 failures per username, 50 per address, then 30 s, 60 s, … up to 15 minutes. */
export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = Object.freeze({
  maxFailuresUsername: 5,
  maxFailuresAddress: 50,
  lockoutSeconds: 30,
  lockoutMaxSeconds: 900,
  windowSeconds: 900,
});

interface Counter {
  failures: number;
  lockouts: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Most keys remembered; the oldest are dropped past it. */
const MAX_KEYS = 100_000;

export function createSignInLimiter(limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS): SignInLimiter {
  const counters = new Map<string, Counter>();
  const keys = (username: string, source: string): [string, number][] => [
    [`user:${username}`, limits.maxFailuresUsername],
    [`ip:${source}`, limits.maxFailuresAddress],
  ];
  const live = (key: string, at: number): Counter | undefined => {
    const counter = counters.get(key);
    if (counter === undefined) return undefined;
    const quiet = at - Math.max(counter.lastFailure, counter.lockedUntil) >= limits.windowSeconds * 1000;
    if (quiet) {
      counters.delete(key);
      return undefined;
    }
    return counter;
  };
  const waitOf = (counter: Counter | undefined, at: number): number | null =>
    counter !== undefined && counter.lockedUntil > at ? Math.ceil((counter.lockedUntil - at) / 1000) : null;

  return {
    check(username, source, now) {
      const at = now.getTime();
      const waits = keys(username, source).map(([key]) => waitOf(live(key, at), at)).filter((w): w is number => w !== null);
      return waits.length === 0 ? null : Math.max(...waits);
    },

    recordFailure(username, source, now) {
      const at = now.getTime();
      let wait: number | null = null;
      for (const [key, max] of keys(username, source)) {
        const counter = live(key, at) ?? { failures: 0, lockouts: 0, lockedUntil: 0, lastFailure: at };
        counter.failures += 1;
        counter.lastFailure = at;
        if (counter.failures >= max) {
          const seconds = Math.min(limits.lockoutSeconds * 2 ** counter.lockouts, limits.lockoutMaxSeconds);
          counter.lockouts += 1;
          counter.failures = 0;
          counter.lockedUntil = at + seconds * 1000;
          wait = Math.max(wait ?? 0, seconds);
        }
        counters.delete(key);
        counters.set(key, counter);
      }
      while (counters.size > MAX_KEYS) {
        const oldest = counters.keys().next().value;
        if (oldest === undefined) break;
        counters.delete(oldest);
      }
      return wait;
    },

    recordSuccess(username, now) {
      const counter = live(`user:${username}`, now.getTime());
      if (counter !== undefined && counter.lockedUntil <= now.getTime()) counters.delete(`user:${username}`);
    },
  };
}
