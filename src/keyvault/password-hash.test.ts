import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordNeedsRehash, verifyPassword } from './password-hash.js';

describe('password hashing', () => {
  it('hashes with scrypt N=2^15, r=8, p=1 and a 16-byte salt into the documented form', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const parts = stored.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(parts[4] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5] ?? '', 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored); // salted
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('s3cret-pässword');
    expect(await verifyPassword('s3cret-pässword', stored)).toBe(true);
    expect(await verifyPassword('s3cret-password', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    // NFKC: the decomposed form of the same password verifies too.
    expect(await verifyPassword('s3cret-pa\u0308ssword', stored)).toBe(true);
  });

  it('reads the parameters from the stored hash (so they can be raised later)', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('pw', salt, 24, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${hash.toString('base64')}`;
    expect(await verifyPassword('pw', stored)).toBe(true);
    expect(await verifyPassword('pw2', stored)).toBe(false);
    expect(passwordNeedsRehash(stored)).toBe(true);
    expect(passwordNeedsRehash(await hashPassword('pw'))).toBe(false);
  });

  it('throws on a malformed stored hash instead of answering false', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, hash] = good.split('$');
    for (const stored of [
      '',
      'plain',
      'bcrypt$32768$8$1$x$y',
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32769$8$1$${salt}$${hash}`, // not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // too costly
      `scrypt$${2 ** 20}$32$1$${salt}$${hash}`, // 4 GiB
      `scrypt$32768$0$1$${salt}$${hash}`,
      `scrypt$32768$8$1$!!$${hash}`,
      `scrypt$32768$8$1$${salt}$`,
    ]) {
      await expect(verifyPassword('pw', stored)).rejects.toMatchObject({ code: 'invalid_password_hash' });
    }
  });
});
