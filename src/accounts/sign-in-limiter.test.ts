import { describe, expect, it } from 'vitest';
import { createSignInLimiter } from './sign-in-limiter.js';

const limits = { maxFailuresUsername: 3, maxFailuresAddress: 5, lockoutSeconds: 10, lockoutMaxSeconds: 25, windowSeconds: 60 };
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

describe('sign-in limiter', () => {
  it('locks a username out after the threshold, for a time that doubles up to the maximum', () => {
    const limiter = createSignInLimiter(limits);
    expect(limiter.recordFailure('olive', 'ip-1', at(0))).toBeNull();
    expect(limiter.recordFailure('olive', 'ip-2', at(1))).toBeNull();
    expect(limiter.check('olive', 'ip-3', at(1))).toBeNull();
    expect(limiter.recordFailure('olive', 'ip-3', at(2))).toBe(10);
    expect(limiter.check('olive', 'ip-9', at(2))).toBe(10);
    expect(limiter.check('olive', 'ip-9', at(11.5))).toBe(1);
    expect(limiter.check('olive', 'ip-9', at(12))).toBeNull();
    for (const t of [13, 14]) limiter.recordFailure('olive', 'ip-9', at(t));
    expect(limiter.recordFailure('olive', 'ip-9', at(15))).toBe(20);
    for (const t of [40, 41]) limiter.recordFailure('olive', 'ip-9', at(t));
    expect(limiter.recordFailure('olive', 'ip-9', at(42))).toBe(25);
    expect(limiter.check('other', 'ip-1', at(42))).toBeNull();
  });

  it('counts per address across usernames', () => {
    const limiter = createSignInLimiter(limits);
    for (let i = 0; i < 4; i++) expect(limiter.recordFailure(`user-${i}`, 'ip-1', at(i))).toBeNull();
    expect(limiter.recordFailure('user-4', 'ip-1', at(4))).toBe(10);
    expect(limiter.check('anyone', 'ip-1', at(5))).toBe(9);
    expect(limiter.check('anyone', 'ip-2', at(5))).toBeNull();
  });

  it('a success clears the username count; quiet keys start again', () => {
    const limiter = createSignInLimiter(limits);
    limiter.recordFailure('olive', 'ip-1', at(0));
    limiter.recordFailure('olive', 'ip-1', at(1));
    limiter.recordSuccess('olive', at(2));
    expect(limiter.recordFailure('olive', 'ip-1', at(3))).toBeNull();
    expect(limiter.recordFailure('olive', 'ip-1', at(4))).toBeNull();
    expect(limiter.recordFailure('olive', 'ip-1', at(200))).toBeNull();
  });
});
