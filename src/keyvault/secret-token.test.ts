import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePassword, generateToken, hashToken } from './secret-token.js';

describe('tokens', () => {
  it('generates prefixed base64url tokens of the requested size', () => {
    const token = generateToken('bi', 24);
    expect(token).toMatch(/^bi_[A-Za-z0-9_-]{32}$/);
    expect(generateToken('dev')).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
    expect(generateToken('bi')).not.toBe(generateToken('bi'));
  });

  it('refuses bad prefixes and weak sizes', () => {
    for (const prefix of ['', 'Bi', 'b_i', 'toolongprefix', '1a']) {
      expect(() => generateToken(prefix)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    expect(() => generateToken('bi', 8)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => generateToken('bi', 1.5)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('hashes tokens with SHA-256 hex', () => {
    expect(hashToken('bi_abc')).toBe(createHash('sha256').update('bi_abc').digest('hex'));
    expect(hashToken('bi_abc')).toMatch(/^[0-9a-f]{64}$/);
    // Non-ASCII is hashed as UTF-8 (digest from Python's hashlib of 'bi_é✓'.encode()).
    expect(hashToken('bi_\u00e9\u2713')).toBe('805e5534f6cff4f3ad95d60780f342698c9ef9182bd48e8961ed2f6e445da7e7');
  });

  it('generates readable 24-character passwords', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const password = generatePassword();
      expect(password).toMatch(/^[0-9a-hjkmnp-tv-z]{24}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(200);
  });
});
