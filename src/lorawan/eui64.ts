import { assertBytes } from './errors.js';
import { FixedIdentifier } from './fixed-identifier.js';
import { parseHex, reversedCopy } from './hex.js';

/** An EUI-64 (DevEUI, JoinEUI): 8 bytes, written big-endian, sent little-endian. */
export class Eui64 extends FixedIdentifier {
  /** Length in bytes. */
  static readonly BYTES = 8;

  private constructor(bigEndian: Uint8Array) {
    super(bigEndian);
  }

  /**
   * Parses 16 hex digits in written (big-endian) order, upper or lower case, optional `0x`.
   * @param what names the value in error messages (default `"EUI-64"`)
   * @throws LorawanError `invalid_hex` or `invalid_length`
   */
  static fromHex(hex: unknown, what = 'EUI-64'): Eui64 {
    return new Eui64(parseHex(hex, 8, what));
  }

  /**
   * From 8 bytes in wire (little-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromLittleEndian(bytes: Uint8Array): Eui64 {
    return new Eui64(reversedCopy(assertBytes(bytes, 8, 'EUI-64')));
  }

  /**
   * From 8 bytes in written (big-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromBigEndian(bytes: Uint8Array): Eui64 {
    return new Eui64(new Uint8Array(assertBytes(bytes, 8, 'EUI-64')));
  }
}
