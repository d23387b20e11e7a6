import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../shared/errors.js';
import { parseAnnouncement, type ClaimWindowSettings } from './claim-window.js';

const SETTINGS: ClaimWindowSettings = { allowClaimingByDefault: true, defaultDurationMs: 120_000, maxDurationMs: 3_600_000, maxSecretFailures: 5 };

/** The field an InvalidInputError names, or a failure when something else (or nothing) was thrown. */
function refusedField(body: unknown): string | undefined {
  try {
    parseAnnouncement(body, SETTINGS);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).details?.['field'] as string | undefined;
  }
  throw new Error(`${JSON.stringify(body)} was accepted`);
}

describe('parseAnnouncement (a device\'s {secretKey, durationMs})', () => {
  it('takes both fields as given', () => {
    expect(parseAnnouncement({ secretKey: 'abc', durationMs: 60_000 }, SETTINGS)).toEqual({ secretKey: 'abc', durationMs: 60_000 });
  });

  it('defaults: no body, an empty object or nulls mean an empty secret and the default duration', () => {
    for (const body of [undefined, null, {}, { secretKey: null, durationMs: null }]) {
      expect(parseAnnouncement(body, SETTINGS)).toEqual({ secretKey: '', durationMs: SETTINGS.defaultDurationMs });
    }
    expect(parseAnnouncement({ secretKey: 'k' }, SETTINGS)).toEqual({ secretKey: 'k', durationMs: SETTINGS.defaultDurationMs });
  });

  it('a zero or negative duration takes the default; a fractional one is rounded down', () => {
    expect(parseAnnouncement({ durationMs: 0 }, SETTINGS).durationMs).toBe(SETTINGS.defaultDurationMs);
    expect(parseAnnouncement({ durationMs: -1 }, SETTINGS).durationMs).toBe(SETTINGS.defaultDurationMs);
    expect(parseAnnouncement({ durationMs: 1500.9 }, SETTINGS).durationMs).toBe(1500);
  });

  it('clamps a duration above the maximum, and a default above the maximum too', () => {
    expect(parseAnnouncement({ durationMs: 10 * 86_400_000 }, SETTINGS).durationMs).toBe(SETTINGS.maxDurationMs);
    expect(parseAnnouncement({ durationMs: SETTINGS.maxDurationMs }, SETTINGS).durationMs).toBe(SETTINGS.maxDurationMs);
    expect(parseAnnouncement({}, { ...SETTINGS, defaultDurationMs: 86_400_000 }).durationMs).toBe(SETTINGS.maxDurationMs);
  });

  it('ignores fields it does not know (ThingsBoard devices send what they send)', () => {
    expect(parseAnnouncement({ secretKey: 'k', durationMs: 1000, firmware: '1.2' }, SETTINGS)).toEqual({ secretKey: 'k', durationMs: 1000 });
  });

  it('refuses anything but a JSON object', () => {
    for (const body of [[], ['abc'], 'abc', '', 42, true]) expect(refusedField(body)).toBeUndefined();
  });

  it('refuses fields of the wrong type, naming the field', () => {
    expect(refusedField({ secretKey: 5 })).toBe('secretKey');
    expect(refusedField({ secretKey: { nested: 'x' } })).toBe('secretKey');
    expect(refusedField({ secretKey: 'x'.repeat(257) })).toBe('secretKey');
    expect(refusedField({ durationMs: '60000' })).toBe('durationMs');
    expect(refusedField({ durationMs: true })).toBe('durationMs');
    expect(refusedField({ durationMs: Number.POSITIVE_INFINITY })).toBe('durationMs');
    expect(refusedField({ durationMs: Number.NaN })).toBe('durationMs');
    // The longest secret accepted.
    expect(parseAnnouncement({ secretKey: 'x'.repeat(256) }, SETTINGS).secretKey).toHaveLength(256);
  });
});
