import { KeyVaultError } from './errors.js';

/**
 * Parses a key encryption key (RFC 3394 key wrap, LoRaWAN Backend Interfaces KEK): 32, 48 or 64
 * hex characters (AES-128, AES-192, AES-256), optionally prefixed with `0x`; surrounding
 * whitespace is ignored. Errors name `what` (e.g. `kek` or `peers[2].kek`) and never the value.
 */
export function parseKek(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') {
    throw new KeyVaultError('invalid_kek', `${what}: expected a hex string, got ${value === null ? 'null' : typeof value}`, { setting: what });
  }
  const text = value.trim().replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]*$/.test(text)) {
    throw new KeyVaultError('invalid_kek', `${what}: expected 32, 48 or 64 hex characters, got non-hex characters`, { setting: what });
  }
  if (text.length !== 32 && text.length !== 48 && text.length !== 64) {
    throw new KeyVaultError(
      'invalid_kek',
      `${what}: expected 32, 48 or 64 hex characters (an AES-128, AES-192 or AES-256 key), got ${text.length}`,
      { setting: what },
    );
  }
  return Uint8Array.from(Buffer.from(text, 'hex'));
}
