import { describe, expect, it } from 'vitest';
import { checkAuditDetails } from './audit-details.js';

describe('audit details', () => {
  it('accepts small flat facts', () => {
    expect(checkAuditDetails({ username: 'acme', role: 'owner', count: 3, exposed: true, asId: null, keyId: 'k1' }))
      .toEqual({ username: 'acme', role: 'owner', count: 3, exposed: true, asId: null, keyId: 'k1' });
  });

  it.each(['password', 'newPassword', 'appKey', 'nwkKey', 'apiKey', 'key', 'ownerToken', 'token', 'secret', 'clientSecret', 'kek', 'privateKey', 'credentials'])(
    'refuses the secret-looking key %s', (key) => {
      expect(() => checkAuditDetails({ [key]: 'x' })).toThrow(/looks like a secret/);
    },
  );

  it('refuses nested values, long strings, fractions and too many keys', () => {
    expect(() => checkAuditDetails({ nested: { a: 1 } })).toThrow(/must be/);
    expect(() => checkAuditDetails({ list: [1] })).toThrow(/must be/);
    expect(() => checkAuditDetails({ s: 'x'.repeat(257) })).toThrow(/longer/);
    expect(() => checkAuditDetails({ n: 1.5 })).toThrow(/integer/);
    expect(() => checkAuditDetails(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}x`, i])))).toThrow(/at most/);
    expect(() => checkAuditDetails(['a'])).toThrow(/object/);
    expect(() => checkAuditDetails({ 'a b': 1 })).toThrow(/plain name/);
  });
});
