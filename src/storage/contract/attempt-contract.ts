/** Contract tests of the AttemptLimiter (brute-force protection of claims). */
import { describe, expect, it } from 'vitest';
import { attemptKeys, type AttemptKey, type AttemptLimiter } from '../../claiming/attempt-limiter.js';
import { type AttemptLimits, createAttemptLimiter, DEFAULT_ATTEMPT_LIMITS } from '../attempt-repository.js';
import type { ContractContext } from './contract-context.js';

const T0 = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));
/** `seconds` after T0. */
const t = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

const DEVICE = 'device:0004A310001FF9DA';
const ACCOUNT = 'account:acc-1';
const CLIENT = 'client:ns-1';
const ADDRESS = 'ip:192.0.2.7';

const LIMITS: AttemptLimits = {
  maxFailuresDevice: 3,
  maxFailuresAccount: 5,
  maxFailuresAddress: 7,
  lockoutSeconds: 60,
  lockoutMaxSeconds: 300,
  failureWindowSeconds: 600,
};

/** Registers the AttemptLimiter tests. */
export function describeAttemptContract(ctx: ContractContext): void {
  describe('claim attempt limiter', () => {
    const limiter = (limits: Partial<AttemptLimits> = {}): AttemptLimiter => createAttemptLimiter(ctx.handle, { ...LIMITS, ...limits });
    const fail = async (attempts: AttemptLimiter, keys: readonly AttemptKey[], times: number, at: Date): Promise<void> => {
      for (let n = 0; n < times; n++) await attempts.recordFailure(keys, at);
    };
    const row = (key: AttemptKey) => ctx.handle.db.selectFrom('claim_attempts').select(['failures', 'lockouts']).where('key', '=', key).executeTakeFirst();

    it('locks nothing at first, and nothing for no keys', async () => {
      const attempts = limiter();
      expect(await attempts.check([DEVICE, ACCOUNT, ADDRESS], T0)).toBeNull();
      expect(await attempts.check([], T0)).toBeNull();
      await attempts.recordFailure([], T0);
      await attempts.recordSuccess([], T0);
    });

    it('locks each kind of key at its own threshold (claim clients count like accounts)', async () => {
      const attempts = limiter();
      const keys = [DEVICE, ACCOUNT, CLIENT, ADDRESS];
      const locked = async (): Promise<AttemptKey[]> => {
        const out: AttemptKey[] = [];
        for (const key of keys) if ((await attempts.check([key], t(1))) !== null) out.push(key);
        return out;
      };
      await fail(attempts, keys, 2, T0);
      expect(await locked()).toEqual([]);
      await fail(attempts, keys, 1, T0);
      expect(await locked()).toEqual([DEVICE]);
      await fail(attempts, keys, 2, T0);
      expect(await locked()).toEqual([DEVICE, ACCOUNT, CLIENT]);
      await fail(attempts, keys, 2, T0);
      expect(await locked()).toEqual(keys);
    });

    it('answers the remaining lock time in whole seconds, rounded up, the longest over the keys', async () => {
      const attempts = limiter();
      await fail(attempts, [DEVICE], 3, T0);
      expect(await attempts.check([DEVICE], T0)).toEqual({ retryAfterSeconds: 60 });
      expect(await attempts.check([ACCOUNT, DEVICE, ADDRESS], t(0.5))).toEqual({ retryAfterSeconds: 60 });
      expect(await attempts.check([DEVICE], t(59.001))).toEqual({ retryAfterSeconds: 1 });
      expect(await attempts.check([DEVICE], t(60))).toBeNull();
      // A second key locked later, for longer: the longest wait wins.
      await fail(attempts, [ACCOUNT], 5, t(30));
      expect(await attempts.check([DEVICE, ACCOUNT], t(40))).toEqual({ retryAfterSeconds: 50 });
    });

    it('keeps counting while locked, and a lock-out resets the failures', async () => {
      const attempts = limiter();
      await fail(attempts, [DEVICE], 3, T0);
      expect(await row(DEVICE)).toEqual({ failures: 0, lockouts: 1 });
      await fail(attempts, [DEVICE], 2, t(10));
      expect(await row(DEVICE)).toEqual({ failures: 2, lockouts: 1 });
      expect(await attempts.check([DEVICE], t(10))).toEqual({ retryAfterSeconds: 50 });
    });

    it('doubles every further lock-out, up to the maximum', async () => {
      const attempts = limiter();
      const waits: number[] = [];
      let now = T0;
      for (let n = 0; n < 6; n++) {
        await fail(attempts, [DEVICE], 3, now);
        const wait = (await attempts.check([DEVICE], now))?.retryAfterSeconds ?? 0;
        waits.push(wait);
        now = new Date(now.getTime() + wait * 1000);
        expect(await attempts.check([DEVICE], now)).toBeNull();
      }
      expect(waits).toEqual([60, 120, 240, 300, 300, 300]);
      expect(await row(DEVICE)).toEqual({ failures: 0, lockouts: 6 });
    });

    it('locks at the first failure when the threshold is 1', async () => {
      const attempts = limiter({ maxFailuresDevice: 1 });
      await attempts.recordFailure([DEVICE], T0);
      expect(await attempts.check([DEVICE], T0)).toEqual({ retryAfterSeconds: 60 });
      await attempts.recordFailure([DEVICE], t(60));
      expect(await attempts.check([DEVICE], t(60))).toEqual({ retryAfterSeconds: 120 });
    });

    it('starts counting again when the last failure is older than the window', async () => {
      const attempts = limiter();
      await fail(attempts, [DEVICE], 2, T0);
      await fail(attempts, [DEVICE], 1, t(601));
      expect(await attempts.check([DEVICE], t(601))).toBeNull();
      expect(await row(DEVICE)).toEqual({ failures: 1, lockouts: 0 });
      // Failures closer together than the window add up, however long the run.
      await fail(attempts, [DEVICE], 1, t(1200));
      expect(await attempts.check([DEVICE], t(1200))).toBeNull();
      await fail(attempts, [DEVICE], 1, t(1800));
      expect(await attempts.check([DEVICE], t(1800))).toEqual({ retryAfterSeconds: 60 });
    });

    it('forgets earlier lock-outs only after a quiet window that starts when the last one ended', async () => {
      const attempts = limiter({ lockoutSeconds: 1000, lockoutMaxSeconds: 8000 });
      await fail(attempts, [DEVICE], 3, T0); // locked until 1000
      // 700 s after the last failure, but the lock-out ended only 300 s before: it still counts.
      await fail(attempts, [DEVICE], 3, t(1300));
      expect(await attempts.check([DEVICE], t(1300))).toEqual({ retryAfterSeconds: 2000 }); // locked until 3300
      // Quiet for more than the window after that lock-out: back to the first length.
      await fail(attempts, [DEVICE], 3, t(3901));
      expect(await attempts.check([DEVICE], t(3901))).toEqual({ retryAfterSeconds: 1000 });
      expect(await row(DEVICE)).toEqual({ failures: 0, lockouts: 1 });
    });

    it('clears the device and the claimant on success, not the source address', async () => {
      const attempts = limiter();
      const keys = attemptKeys({ devEui: '0004A310001FF9DA', claimant: ACCOUNT, source: '192.0.2.7' });
      expect(keys).toEqual([DEVICE, ACCOUNT, ADDRESS]);
      await fail(attempts, keys, 2, T0);
      await attempts.recordSuccess(keys, t(1));
      expect(await row(DEVICE)).toBeUndefined();
      expect(await row(ACCOUNT)).toBeUndefined();
      expect(await row(ADDRESS)).toEqual({ failures: 2, lockouts: 0 });
      // The device starts from zero again.
      await fail(attempts, keys, 2, t(2));
      expect(await attempts.check([DEVICE], t(2))).toBeNull();
      await attempts.recordSuccess([CLIENT], t(3));
      expect(await row(DEVICE)).toEqual({ failures: 2, lockouts: 0 });
    });

    it('does not lift a running lock-out on success, and clears it once it has ended', async () => {
      const attempts = limiter();
      await fail(attempts, [DEVICE, ACCOUNT], 3, T0);
      await attempts.recordSuccess([DEVICE, ACCOUNT], t(10));
      expect(await attempts.check([DEVICE], t(10))).toEqual({ retryAfterSeconds: 50 });
      expect(await row(ACCOUNT)).toBeUndefined();
      await attempts.recordSuccess([DEVICE], t(60));
      expect(await row(DEVICE)).toBeUndefined();
      // Its lock-out count went with it: the next lock-out is a first one.
      await fail(attempts, [DEVICE], 3, t(61));
      expect(await attempts.check([DEVICE], t(61))).toEqual({ retryAfterSeconds: 60 });
    });

    it('deletes the rows that no longer count, and only those', async () => {
      const attempts = limiter();
      const other = 'device:0000000000000001';
      await fail(attempts, [DEVICE], 3, T0); // locked until 60
      await fail(attempts, [other], 1, T0);
      await fail(attempts, [ADDRESS], 1, t(100));
      // At 650 the window starts at 50: the other device has been quiet since 0; DEVICE's lock-out ended at 60.
      await attempts.recordFailure([ACCOUNT], t(650));
      const keys = await ctx.handle.db.selectFrom('claim_attempts').select('key').orderBy('key').execute();
      expect(keys.map((r) => r.key)).toEqual([ACCOUNT, DEVICE, ADDRESS].sort());
      expect(await row(DEVICE)).toEqual({ failures: 0, lockouts: 1 });
    });

    it('refuses a key of unknown kind and counts nothing', async () => {
      const attempts = limiter();
      await expect(attempts.recordFailure([DEVICE, 'user:x'], T0)).rejects.toThrow(/unknown kind "user"/);
      expect(await row(DEVICE)).toBeUndefined();
      await expect(attempts.recordSuccess(['nonsense'], T0)).rejects.toThrow(/unknown kind/);
    });

    it('counts a key named twice in one attempt once', async () => {
      const attempts = limiter();
      await attempts.recordFailure([DEVICE, DEVICE], T0);
      expect(await row(DEVICE)).toEqual({ failures: 1, lockouts: 0 });
    });

    it('counts every one of 50 concurrent failures on one key', async () => {
      const attempts = limiter({ maxFailuresDevice: 1000 });
      // Two limiters over the same database: on PostgreSQL they run on parallel pool connections.
      const other = limiter({ maxFailuresDevice: 1000 });
      await Promise.all(Array.from({ length: 50 }, (_, n) => (n % 2 === 0 ? attempts : other).recordFailure([DEVICE], T0)));
      expect(await row(DEVICE)).toEqual({ failures: 50, lockouts: 0 });
    });

    it('locks out exactly once per threshold of concurrent failures, on every key of the attempt', async () => {
      const attempts = limiter({ maxFailuresDevice: 5, maxFailuresAccount: 10, maxFailuresAddress: 25, lockoutMaxSeconds: 1_000_000 });
      const keys = [DEVICE, ACCOUNT, ADDRESS];
      await Promise.all(Array.from({ length: 50 }, (_, n) => attempts.recordFailure(keys, t(n % 3))));
      expect(await row(DEVICE)).toEqual({ failures: 0, lockouts: 10 });
      expect(await row(ACCOUNT)).toEqual({ failures: 0, lockouts: 5 });
      expect(await row(ADDRESS)).toEqual({ failures: 0, lockouts: 2 });
      // Ten lock-outs of the device: the last one lasts 60 × 2^9 s from one of the instants.
      const wait = (await attempts.check([DEVICE], t(2)))?.retryAfterSeconds ?? 0;
      expect(wait).toBeGreaterThanOrEqual(60 * 512 - 2);
      expect(wait).toBeLessThanOrEqual(60 * 512);
    });

    it('uses the default limits in the stores', async () => {
      const { attempts } = ctx.stores;
      await fail(attempts, [DEVICE], DEFAULT_ATTEMPT_LIMITS.maxFailuresDevice - 1, T0);
      expect(await attempts.check([DEVICE], T0)).toBeNull();
      await attempts.recordFailure([DEVICE], T0);
      expect(await attempts.check([DEVICE], T0)).toEqual({ retryAfterSeconds: DEFAULT_ATTEMPT_LIMITS.lockoutSeconds });
    });
  });
}
