import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelayMs, retrySchedule } from './retry-schedule.js';

describe('retry schedule', () => {
  it('waits 1 s, 2 s, 4 s … capped at 1 h, 36 attempts over about 24 hours by default', () => {
    const delays = retrySchedule(DEFAULT_RETRY_POLICY);
    expect(delays).toHaveLength(35);
    expect(delays.slice(0, 13)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600].map((s) => s * 1000));
    expect(delays.slice(12).every((d) => d === 3_600_000)).toBe(true);
    const totalHours = delays.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(totalHours).toBeGreaterThan(24);
    expect(totalHours).toBeLessThan(25);
  });

  it('gives up after the last attempt', () => {
    const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(policy, 1)).toBe(100);
    expect(retryDelayMs(policy, 2)).toBe(200);
    expect(retryDelayMs(policy, 3)).toBeNull();
    expect(retrySchedule(policy)).toEqual([100, 200]);
    expect(retrySchedule({ ...policy, maxAttempts: 1 })).toEqual([]);
  });

  it('never overflows for many attempts', () => {
    expect(retryDelayMs({ maxAttempts: 10_000, baseDelayMs: 1000, maxDelayMs: 60_000 }, 5_000)).toBe(60_000);
  });
});
