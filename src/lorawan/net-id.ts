import { assertBytes } from './errors.js';
import { FixedIdentifier } from './fixed-identifier.js';
import { parseHex, reversedCopy } from './hex.js';

/** A LoRaWAN NetID: 3 bytes, written big-endian, sent little-endian. */
export class NetId extends FixedIdentifier {
  /** Length in bytes. */
  static readonly BYTES = 3;

  private constructor(bigEndian: Uint8Array) {
    super(bigEndian);
  }

  /**
   * Parses 6 hex digits in written (big-endian) order, upper or lower case, optional `0x`.
   * @param what names the value in error messages (default `"NetID"`)
   * @throws LorawanError `invalid_hex` or `invalid_length`
   */
  static fromHex(hex: unknown, what = 'NetID'): NetId {
    return new NetId(parseHex(hex, 3, what));
  }

  /**
   * From 3 bytes in wire (little-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromLittleEndian(bytes: Uint8Array): NetId {
    return new NetId(reversedCopy(assertBytes(bytes, 3, 'NetID')));
  }

  /**
   * From 3 bytes in written (big-endian) order. Copies the input.
   * @throws LorawanError `invalid_argument` or `invalid_length`
   */
  static fromBigEndian(bytes: Uint8Array): NetId {
    return new NetId(new Uint8Array(assertBytes(bytes, 3, 'NetID')));
  }
}
