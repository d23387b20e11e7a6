import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../shared/errors.js';
import { generateOwnerToken, ownerTokenMatches, ownerTokenValidAt, parseOwnerToken } from './owner-token.js';

const random = { bytes: (n: number) => randomBytes(n) };

describe('owner tokens', () => {
  it('generates 8 upper-case hex characters by default, and other lengths on request', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateOwnerToken(random)));
    for (const t of tokens) expect(t).toMatch(/^[0-9A-F]{8}$/);
    expect(tokens.size).toBeGreaterThan(195);
    expect(generateOwnerToken(random, 11)).toMatch(/^[0-9A-F]{11}$/);
  });

  it('accepts printable tokens and refuses empty, too long, spaces, colons and non-strings without echoing them', () => {
    expect(parseOwnerToken('C05EA29C')).toBe('C05EA29C');
    for (const bad of ['', 'a b', 'LW:D0', 'x'.repeat(65), 42, null, 'é', 'tab\t']) {
      let error: unknown;
      try { parseOwnerToken(bad); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(InvalidInputError);
      if (typeof bad === 'string' && bad.length > 1) expect((error as Error).message).not.toContain(bad);
    }
  });

  it('compares tokens exactly, case-sensitively', () => {
    expect(ownerTokenMatches('C05EA29C', 'C05EA29C')).toBe(true);
    expect(ownerTokenMatches('c05ea29c', 'C05EA29C')).toBe(false);
    expect(ownerTokenMatches('C05EA29', 'C05EA29C')).toBe(false);
    expect(ownerTokenMatches('', 'C05EA29C')).toBe(false);
  });

  it('checks the validity window with open ends', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    expect(ownerTokenValidAt({ from: null, to: null }, t)).toBe(true);
    expect(ownerTokenValidAt({ from: new Date('2026-02-01T00:00:00Z'), to: null }, t)).toBe(false);
    expect(ownerTokenValidAt({ from: null, to: new Date('2025-12-31T00:00:00Z') }, t)).toBe(false);
    expect(ownerTokenValidAt({ from: new Date('2025-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') }, t)).toBe(true);
  });
});
