import { describe, expect, it } from 'vitest';
import { KeyVaultError } from './errors.js';
import { parseKek } from './kek.js';

function failure(value: unknown): KeyVaultError {
  try {
    parseKek(value, 'peers[0].kek');
  } catch (error) {
    expect(error).toBeInstanceOf(KeyVaultError);
    return error as KeyVaultError;
  }
  throw new Error('expected an error');
}

describe('parseKek', () => {
  it('accepts AES-128, AES-192 and AES-256 keys in hex, with optional 0x', () => {
    expect(parseKek('00112233445566778899AABBCCDDEEFF', 'kek')).toEqual(Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')));
    expect(parseKek(`0x${'ab'.repeat(24)}`, 'kek')).toHaveLength(24);
    expect(parseKek(`0X${'cd'.repeat(32)}`, 'kek')).toHaveLength(32);
    expect(parseKek(` ${'01'.repeat(16)} `, 'kek')).toHaveLength(16);
  });

  it('rejects other values, naming the setting but never the value', () => {
    for (const value of ['0123456789abcdef0123456789abcdeX', 'ab'.repeat(20), 'ab'.repeat(33), '0x', '', 'zz'.repeat(16)]) {
      const error = failure(value);
      expect(error.code).toBe('invalid_kek');
      expect(error.message.startsWith('peers[0].kek: ')).toBe(true);
      if (value.length > 2) expect(error.message).not.toContain(value);
      expect(JSON.stringify(error.details)).not.toContain(value || '\u0000');
    }
    expect(failure(1234).message).toContain('got number');
    expect(failure(null).message).toContain('got null');
    expect(failure(undefined).message).toContain('got undefined');
  });
});
