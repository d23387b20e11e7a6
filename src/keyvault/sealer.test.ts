import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Sealed } from '../devices/device.js';
import { KeyVaultError } from './errors.js';
import { createMasterKeyRing, masterKeyIdOf } from './master-key-ring.js';
import { Sealer } from './sealer.js';

const keyA = Uint8Array.from(Buffer.alloc(32, 0xa1));
const keyB = Uint8Array.from(Buffer.alloc(32, 0xb2));
const context = 'device:0011223344556677:appKey';
const secret = Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));

function expectCode(fn: () => unknown, code: string): KeyVaultError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyVaultError);
    expect((error as KeyVaultError).code).toBe(code);
    return error as KeyVaultError;
  }
  throw new Error(`expected KeyVaultError ${code}`);
}

/** Replaces one byte of a base64url part of a sealed value. */
function tamper(sealed: Sealed, part: 2 | 3, byteIndex: number): Sealed {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  const at = byteIndex < 0 ? bytes.length + byteIndex : byteIndex;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.') as Sealed;
}

describe('Sealer', () => {
  const sealer = new Sealer(createMasterKeyRing([keyA]));

  it('round-trips a value and uses the documented format', () => {
    const sealed = sealer.seal(secret, context);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(sealer.keyIdOf(sealed)).toBe(masterKeyIdOf(keyA));
    expect(Buffer.from(sealer.open(sealed, context))).toEqual(Buffer.from(secret));
  });

  it('uses a fresh IV every time', () => {
    expect(sealer.seal(secret, context)).not.toBe(sealer.seal(secret, context));
  });

  it('round-trips empty and large values', () => {
    expect(sealer.open(sealer.seal(new Uint8Array(0), context), context)).toHaveLength(0);
    const big = randomBytes(100_000);
    expect(Buffer.from(sealer.open(sealer.seal(big, context), context)).equals(big)).toBe(true);
  });

  it('refuses to open with another context', () => {
    const sealed = sealer.seal(secret, context);
    const error = expectCode(() => sealer.open(sealed, 'device:0011223344556677:nwkKey'), 'sealed_value_corrupt');
    expect(error.message).not.toContain(sealed);
  });

  it('detects tampered ciphertext, tag and IV', () => {
    const sealed = sealer.seal(secret, context);
    expectCode(() => sealer.open(tamper(sealed, 3, 0), context), 'sealed_value_corrupt');
    expectCode(() => sealer.open(tamper(sealed, 3, -1), context), 'sealed_value_corrupt');
    expectCode(() => sealer.open(tamper(sealed, 2, 5), context), 'sealed_value_corrupt');
  });

  it('detects a truncated value', () => {
    const sealed = sealer.seal(secret, context);
    expectCode(() => sealer.open(sealed.slice(0, -4) as Sealed, context), 'sealed_value_corrupt');
  });

  it('rejects garbage without echoing it', () => {
    const sealed = sealer.seal(secret, context);
    const [, keyId, iv, body] = sealed.split('.');
    const garbage = [
      '',
      'hello',
      `v2.${keyId}.${iv}.${body}`,
      `v1.${keyId}.${iv}`,
      `v1.${keyId}.${iv}.${body}.extra`,
      `v1.${keyId?.toUpperCase()}.${iv}.${body}`,
      `v1.${keyId}.${iv}.${body}=`,
      `v1.${keyId}.${iv}.${body?.replace(/.$/, '+')}`,
      `v1.${keyId}.${iv}x.${body}`,
      `v1.${keyId}.${iv}.${body?.slice(0, 10)}`,
      `v1.${keyId}.${iv}.${body}A`, // 44 characters: length 1 mod 4 is never valid base64
    ];
    for (const value of garbage) {
      const error = expectCode(() => sealer.open(value as Sealed, context), 'sealed_value_corrupt');
      if (value !== '') expect(error.message).not.toContain(value);
    }
    expectCode(() => sealer.keyIdOf('garbage' as Sealed), 'sealed_value_corrupt');
  });

  it('rejects non-canonical base64url (stray low bits in the last character)', () => {
    const sealed = sealer.seal(new Uint8Array(1), context); // 17 bytes: 23 characters, 2 bits unused
    const body = sealed.split('.')[3] ?? '';
    expect(body.length % 4).not.toBe(0);
    const last = body.charAt(body.length - 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bumped = alphabet.charAt(alphabet.indexOf(last) + 1);
    const altered = `${sealed.slice(0, -1)}${bumped}` as Sealed;
    expect(expectCode(() => sealer.open(altered, context), 'sealed_value_corrupt').message).toContain('malformed');
  });

  it('reports an unknown master key by id', () => {
    const other = new Sealer(createMasterKeyRing([keyB]));
    const sealed = other.seal(secret, context);
    const error = expectCode(() => sealer.open(sealed, context), 'unknown_master_key');
    expect(error.message).toContain(masterKeyIdOf(keyB));
    expect(error.details).toMatchObject({ keyId: masterKeyIdOf(keyB), context });
  });

  it('opens values under any key of the ring and re-seals only those not under the active key', () => {
    const old = new Sealer(createMasterKeyRing([keyA]));
    const ring = createMasterKeyRing([keyB, keyA]);
    const current = new Sealer(ring);
    const underOld = old.seal(secret, context);
    const underNew = current.seal(secret, context);
    expect(current.needsReseal(underOld)).toBe(true);
    expect(current.needsReseal(underNew)).toBe(false);
    expect(current.reseal(underNew, context)).toBeNull();
    const resealed = current.reseal(underOld, context);
    expect(resealed).not.toBeNull();
    expect(current.keyIdOf(resealed as Sealed)).toBe(masterKeyIdOf(keyB));
    expect(Buffer.from(current.open(resealed as Sealed, context))).toEqual(Buffer.from(secret));
    expect(Buffer.from(current.open(underOld, context))).toEqual(Buffer.from(secret));
  });

  it('reloads a reloadable ring once when it meets an unknown key, throttled', () => {
    const ringA = createMasterKeyRing([keyA]);
    const ringAB = createMasterKeyRing([keyB, keyA]);
    let current = ringA;
    let reloads = 0;
    const ring = {
      get activeKeyId() {
        return current.activeKeyId;
      },
      keyIds: () => current.keyIds(),
      get: (id: string) => current.get(id),
      reload: () => {
        reloads += 1;
        const changed = current !== ringAB;
        current = ringAB;
        return changed;
      },
    };
    const reader = new Sealer(ring, { reloadIntervalMs: 60_000 });
    const sealedB = new Sealer(createMasterKeyRing([keyB])).seal(secret, context);
    const unknown = new Sealer(createMasterKeyRing([Uint8Array.from(Buffer.alloc(32, 7))])).seal(secret, context);
    // The first seal checks the ring (periodic check); then the interval holds further checks back.
    reader.seal(secret, context);
    expect(reloads).toBe(1);
    current = ringA;
    expect(Buffer.from(reader.open(sealedB, context))).toEqual(Buffer.from(secret));
    expect(reloads).toBe(2);
    expectCode(() => reader.open(unknown, context), 'unknown_master_key');
    expectCode(() => reader.open(unknown, context), 'unknown_master_key');
    expect(reloads).toBe(2); // throttled: garbage key ids do not make it re-read the file each time
  });

  it('never shows keys when printed', () => {
    const ring = createMasterKeyRing([keyA, keyB]);
    const printed = [String(ring), JSON.stringify(ring), inspect(ring, { depth: 10, showHidden: true })].join('\n');
    for (const key of [keyA, keyB]) {
      expect(printed).not.toContain(Buffer.from(key).toString('hex'));
      expect(printed).not.toContain(Buffer.from(key).toString('base64'));
    }
    expect(printed).toContain(masterKeyIdOf(keyA));
    expect(printed).not.toMatch(/161, 161/);
  });

  it('computes key ids as the first 16 hex characters of SHA-256', () => {
    expect(masterKeyIdOf(new Uint8Array(32))).toBe('66687aadf862bd77');
  });
});
