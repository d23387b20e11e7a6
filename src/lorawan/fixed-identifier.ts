import { reversedCopy, toHex } from './hex.js';

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * Base of the public, fixed-length LoRaWAN identifiers (EUI-64, NetID, DevAddr).
 *
 * The value is held in written (big-endian, human) order; the wire order is little-endian.
 * Instances are immutable: byte accessors return copies. Not part of the module's public API:
 * use {@link Eui64}, {@link NetId} or {@link DevAddr}.
 */
export abstract class FixedIdentifier {
  readonly #bigEndian: Uint8Array;
  readonly #hex: string;

  /** @param bigEndian bytes in written order; the caller hands over ownership (no copy). */
  protected constructor(bigEndian: Uint8Array) {
    this.#bigEndian = bigEndian;
    this.#hex = toHex(bigEndian);
  }

  /** Upper-case hex in written (big-endian) order. */
  toHex(): string {
    return this.#hex;
  }

  /** A copy of the bytes in written (big-endian) order. */
  toBigEndian(): Uint8Array {
    return new Uint8Array(this.#bigEndian);
  }

  /** A copy of the bytes in wire (little-endian) order. */
  toLittleEndian(): Uint8Array {
    return reversedCopy(this.#bigEndian);
  }

  /** Writes the bytes in wire (little-endian) order into `target` at `offset`. */
  writeLittleEndian(target: Uint8Array, offset: number): void {
    const n = this.#bigEndian.length;
    for (let i = 0; i < n; i++) target[offset + i] = this.#bigEndian[n - 1 - i] ?? 0;
  }

  /** True for an identifier of the same type and value. */
  equals(other: this): boolean {
    return other instanceof this.constructor && other.toHex() === this.#hex;
  }

  /** The upper-case hex. */
  toString(): string {
    return this.#hex;
  }

  /** The upper-case hex, so JSON and log serializers print the value, not an empty object. */
  toJSON(): string {
    return this.#hex;
  }

  [inspectCustom](): string {
    return `${this.constructor.name}(${this.#hex})`;
  }
}
