import { timingSafeEqual } from 'node:crypto';
import { assertBytes } from './errors.js';
import { parseHex, toHex } from './hex.js';

const REDACTED = '[redacted]';
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

let borrow: (key: AesKey) => Uint8Array;

/**
 * A 128-bit AES key (root key, session key, JSIntKey, ...).
 *
 * The bytes live in a private field, so `console.log`, `util.inspect`, `JSON.stringify`, pino,
 * `String()` and template literals all print `[redacted]`. Reading the bytes takes a deliberate
 * call to {@link AesKey.unsafeBytes} or {@link AesKey.unsafeHex}. Instances are immutable.
 */
export class AesKey {
  /** Length in bytes. */
  static readonly BYTES = 16;

  readonly #bytes: Uint8Array;

  static {
    borrow = (key) => key.#bytes;
  }

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /**
   * Parses 32 hex digits, upper or lower case, optional `0x`. Errors never echo the input.
   * @param what names the key in error messages (default `"AES key"`)
   * @throws LorawanError `invalid_hex` or `invalid_length`
   */
  static fromHex(hex: unknown, what = 'AES key'): AesKey {
    return new AesKey(parseHex(hex, AesKey.BYTES, what));
  }

  /**
   * From 16 bytes. Copies the input: later changes to `bytes` do not affect the key.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromBytes(bytes: Uint8Array): AesKey {
    return new AesKey(new Uint8Array(assertBytes(bytes, AesKey.BYTES, 'AES key')));
  }

  /** A copy of the key bytes. Key material: never log it, never put it in an error. */
  unsafeBytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }

  /** The key as 32 upper-case hex digits. Key material: never log it. */
  unsafeHex(): string {
    return toHex(this.#bytes);
  }

  /** Constant-time comparison of the key bytes. */
  equals(other: AesKey): boolean {
    return other instanceof AesKey && timingSafeEqual(this.#bytes, other.#bytes);
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`, so JSON and log serializers never see the key. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `AesKey([redacted])`. */
  [inspectCustom](): string {
    return `AesKey(${REDACTED})`;
  }

  /** Always `[redacted]`, whatever the hint (string, number, default). */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/**
 * The key's own bytes, without a copy, for the AES primitives of this module (fewer copies of key
 * material on the heap, no allocation on the hot path). Internal: not exported from `index.ts`.
 * The caller must not modify or retain the returned array.
 * @internal
 */
export function borrowKeyBytes(key: AesKey): Uint8Array {
  return borrow(key);
}
