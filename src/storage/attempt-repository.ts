import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { AttemptKey, AttemptLimiter } from '../claiming/attempt-limiter.js';
import type { DatabaseHandle } from './database-handle.js';
import { type Database, fromDbTimestamp, toDbTimestamp } from './schema.js';

/**
 * Thresholds and lock-out lengths of brute-force protection (structurally `Config['claims']`).
 * All are positive integers; `lockoutMaxSeconds >= lockoutSeconds`.
 */
export interface AttemptLimits {
  /** Failures a `device:` key takes before it is locked out. */
  readonly maxFailuresDevice: number;
  /** Failures an `account:` or `client:` key (the claimant) takes before it is locked out. */
  readonly maxFailuresAccount: number;
  /** Failures an `ip:` key (the source address) takes before it is locked out. */
  readonly maxFailuresAddress: number;
  /** Length of a key's first lock-out, seconds; each further lock-out doubles it. */
  readonly lockoutSeconds: number;
  /** Longest lock-out, seconds. */
  readonly lockoutMaxSeconds: number;
  /**
   * Failures count towards a lock-out while they are at most this far apart. A key with no
   * failure for this long, whose last lock-out ended at least this long ago, starts again from
   * zero, lock-out count included.
   */
  readonly failureWindowSeconds: number;
}

/** The defaults of `DEED_CLAIM_*` (docs/configuration.md explains them). */
export const DEFAULT_ATTEMPT_LIMITS: AttemptLimits = Object.freeze({
  maxFailuresDevice: 5,
  maxFailuresAccount: 20,
  maxFailuresAddress: 50,
  lockoutSeconds: 60,
  lockoutMaxSeconds: 3600,
  failureWindowSeconds: 3600,
});

/** How often (by the callers' clock) a limiter deletes the rows that no longer count. */
const PRUNE_INTERVAL_MS = 60_000;

/** What an attempt key counts against: the part before the first colon. */
type AttemptKind = 'device' | 'account' | 'client' | 'ip';

function kindOf(key: AttemptKey): AttemptKind {
  const kind = key.slice(0, key.indexOf(':'));
  if (kind === 'device' || kind === 'account' || kind === 'client' || kind === 'ip') return kind;
  throw new TypeError(`attempt key of unknown kind "${kind}": expected device:, account:, client: or ip:`);
}

/**
 * Lock-out lengths in seconds by the number of earlier lock-outs: `base × 2^n` capped at the
 * maximum; the last entry is the maximum and holds for every later lock-out.
 */
export function lockoutLadder(limits: Pick<AttemptLimits, 'lockoutSeconds' | 'lockoutMaxSeconds'>): number[] {
  const ladder: number[] = [];
  for (let n = 0; ; n++) {
    const seconds = Math.min(limits.lockoutSeconds * 2 ** n, limits.lockoutMaxSeconds);
    ladder.push(seconds);
    if (seconds >= limits.lockoutMaxSeconds) return ladder;
  }
}

/**
 * What a successful claim does to the counts (`AttemptLimiter.recordSuccess`): deletes the rows
 * of its `device:`, `account:` and `client:` keys, not of its `ip:` key, and not while a
 * lock-out is still running (a success that raced with it does not lift it). The DELETE is
 * built on `db`, not yet run; null when no key is cleared. Lets a claim clear the counts in its
 * own transaction.
 */
export function clearAttemptsQuery(db: Kysely<Database>, keys: readonly AttemptKey[], now: Date) {
  const cleared = [...new Set(keys)].filter((key) => kindOf(key) !== 'ip');
  if (cleared.length === 0) return null;
  return db
    .deleteFrom('claim_attempts')
    .where('key', 'in', cleared)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', toDbTimestamp(now))]));
}

function checkLimits(limits: AttemptLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw new RangeError(`attempt limits: ${name} must be a positive integer`);
  }
  if (limits.lockoutMaxSeconds < limits.lockoutSeconds) throw new RangeError('attempt limits: lockoutMaxSeconds must be at least lockoutSeconds');
}

/**
 * The AttemptLimiter over the `claim_attempts` table (both dialects), so every process sharing
 * the database sees the same counts.
 *
 * A failure is one `insert … on conflict (key) do update` per key, which also decides the
 * lock-out: atomic under any concurrency (PostgreSQL locks the row for the update and evaluates it
 * against the latest version; SQLite runs one writer at a time). When the failures reach the
 * threshold of the key's kind, the key is locked until `now + lockoutSeconds × 2^lockouts` (at
 * most `lockoutMaxSeconds`), its lock-out count goes up by one and its failures start again at
 * zero. Timestamps are computed here from the caller's `now` and bound as parameters, so both
 * dialects run the same statement.
 *
 * A row whose key has been quiet for the failure window (no failure, no lock-out ending) counts
 * exactly like no row, so `recordFailure` deletes such rows at most once a minute: guesses at
 * ever new DevEUIs or from ever new addresses do not grow the table without bound.
 */
export function createAttemptLimiter(handle: DatabaseHandle, limits: AttemptLimits = DEFAULT_ATTEMPT_LIMITS): AttemptLimiter {
  checkLimits(limits);
  const { db } = handle;
  const ladder = lockoutLadder(limits);
  const thresholds: Readonly<Record<AttemptKind, number>> = {
    device: limits.maxFailuresDevice,
    account: limits.maxFailuresAccount,
    client: limits.maxFailuresAccount,
    ip: limits.maxFailuresAddress,
  };
  // PostgreSQL cannot resolve a CASE whose branches are all untyped parameters to timestamptz.
  const timestamp = (at: Date): RawBuilder<string> =>
    handle.dialect === 'postgres' ? sql<string>`cast(${toDbTimestamp(at)} as timestamptz)` : sql<string>`${toDbTimestamp(at)}`;
  const lockedUntil = (now: Date, lockouts: number): Date =>
    new Date(now.getTime() + (ladder[Math.min(lockouts, ladder.length - 1)] ?? limits.lockoutMaxSeconds) * 1000);

  /** `(… < windowStart and …)`: the row's key saw no failure and no lock-out end within the window. */
  const quietSince = (windowStart: RawBuilder<string>): RawBuilder<boolean> =>
    sql<boolean>`(claim_attempts.last_failure_at < ${windowStart} and (claim_attempts.locked_until is null or claim_attempts.locked_until < ${windowStart}))`;
  let prunedAt: number | undefined;

  async function pruneQuietRows(now: Date): Promise<void> {
    if (prunedAt !== undefined && now.getTime() >= prunedAt && now.getTime() - prunedAt < PRUNE_INTERVAL_MS) return;
    prunedAt = now.getTime();
    const windowStart = timestamp(new Date(now.getTime() - limits.failureWindowSeconds * 1000));
    await db.deleteFrom('claim_attempts').where(quietSince(windowStart)).execute();
  }

  async function recordOne(key: AttemptKey, threshold: number, now: Date): Promise<void> {
    const windowStart = timestamp(new Date(now.getTime() - limits.failureWindowSeconds * 1000));
    // In the update, `claim_attempts.*` is the row as it was: every expression sees the old values.
    const quiet = quietSince(windowStart);
    const failures = sql<number>`(case when ${quiet} then 1 else claim_attempts.failures + 1 end)`;
    const lockouts = sql<number>`(case when ${quiet} then 0 else claim_attempts.lockouts end)`;
    const locks = sql<boolean>`(${failures} >= ${sql.lit(threshold)})`;
    const until = sql<string>`(case ${lockouts} ${sql.join(
      ladder.slice(0, -1).map((_, n) => sql`when ${sql.lit(n)} then ${timestamp(lockedUntil(now, n))}`),
      sql` `,
    )} else ${timestamp(lockedUntil(now, ladder.length - 1))} end)`;
    const lockedAtOnce = threshold <= 1;
    await db
      .insertInto('claim_attempts')
      .values({
        key,
        failures: lockedAtOnce ? 0 : 1,
        lockouts: lockedAtOnce ? 1 : 0,
        locked_until: lockedAtOnce ? toDbTimestamp(lockedUntil(now, 0)) : null,
        last_failure_at: toDbTimestamp(now),
      })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          failures: sql<number>`case when ${locks} then 0 else ${failures} end`,
          lockouts: sql<number>`case when ${locks} then ${lockouts} + 1 else ${lockouts} end`,
          locked_until: sql<string>`case when ${locks} then ${until} else claim_attempts.locked_until end`,
          last_failure_at: timestamp(now),
        }),
      )
      .execute();
  }

  return {
    async check(keys, now) {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return null;
      const rows = await db
        .selectFrom('claim_attempts')
        .select('locked_until')
        .where('key', 'in', unique)
        .where('locked_until', '>', toDbTimestamp(now))
        .execute();
      let longest = 0;
      for (const row of rows) {
        if (row.locked_until === null) continue;
        longest = Math.max(longest, Math.ceil((fromDbTimestamp(row.locked_until).getTime() - now.getTime()) / 1000));
      }
      return longest > 0 ? { retryAfterSeconds: longest } : null;
    },

    async recordFailure(keys, now) {
      // Every key is checked before any is counted; then one statement per key, in a fixed order.
      const counted = [...new Set(keys)].sort().map((key) => ({ key, threshold: thresholds[kindOf(key)] }));
      if (counted.length === 0) return;
      await pruneQuietRows(now);
      for (const { key, threshold } of counted) await recordOne(key, threshold, now);
    },

    async recordSuccess(keys, now) {
      await clearAttemptsQuery(db, keys, now)?.execute();
    },
  };
}
