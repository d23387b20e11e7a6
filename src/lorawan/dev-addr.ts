import { assertBytes } from './errors.js';
import { FixedIdentifier } from './fixed-identifier.js';
import { parseHex, reversedCopy } from './hex.js';

/** A LoRaWAN device address: 4 bytes, written big-endian, sent little-endian. */
export class DevAddr extends FixedIdentifier {
  /** Length in bytes. */
  static readonly BYTES = 4;

  private constructor(bigEndian: Uint8Array) {
    super(bigEndian);
  }

  /**
   * Parses 8 hex digits in written (big-endian) order, upper or lower case, optional `0x`.
   * @param what names the value in error messages (default `"DevAddr"`)
   * @throws LorawanError `invalid_hex` or `invalid_length`
   */
  static fromHex(hex: unknown, what = 'DevAddr'): DevAddr {
    return new DevAddr(parseHex(hex, 4, what));
  }

  /**
   * From 4 bytes in wire (little-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromLittleEndian(bytes: Uint8Array): DevAddr {
    return new DevAddr(reversedCopy(assertBytes(bytes, 4, 'DevAddr')));
  }

  /**
   * From 4 bytes in written (big-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromBigEndian(bytes: Uint8Array): DevAddr {
    return new DevAddr(new Uint8Array(assertBytes(bytes, 4, 'DevAddr')));
  }
}
