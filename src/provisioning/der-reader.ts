/**
 * A minimal DER (ASN.1) reader: just enough to walk an X.509 certificate (see x509-fields.ts).
 * Definite lengths and single-byte tags only, as X.509 DER needs.
 */

/** One tag-length-value. `tag` is the whole identifier octet (class, constructed bit, number). */
export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte (the start of the whole TLV). */
  readonly offset: number;
  /** Offset of the value's first byte in the buffer. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
}

/** Thrown for malformed DER; callers turn it into their own error. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_T61_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Context-specific tag `[n]`, constructed. */
export function contextTag(n: number): number {
  return 0xa0 | n;
}

/** Reads the TLV at `offset`, which must lie within `[offset, limit)`. */
export function readTlv(der: Uint8Array, offset: number, limit = der.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER');
  const tag = der[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let lengthByte = der[offset + 1] as number;
  let pos = offset + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    lengthByte &= 0x7f;
    if (lengthByte === 0 || lengthByte > 4) throw new DerError('unsupported DER length');
    if (pos + lengthByte > limit) throw new DerError('truncated DER');
    length = 0;
    for (let k = 0; k < lengthByte; k++) length = length * 256 + (der[pos + k] as number);
    pos += lengthByte;
  }
  if (pos + length > limit) throw new DerError('truncated DER');
  return { tag, offset, start: pos, end: pos + length };
}

/** The TLVs directly inside a constructed value. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const tlv = readTlv(der, pos, parent.end);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

/** Like {@link readTlv} but checks the tag. */
export function expectTlv(der: Uint8Array, offset: number, tag: number, what: string, limit = der.length): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) throw new DerError(`${what}: unexpected DER tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The value bytes of a TLV (a view, not a copy). */
export function valueOf(der: Uint8Array, tlv: Tlv): Uint8Array {
  return der.subarray(tlv.start, tlv.end);
}

/** The whole TLV, tag and length included (a view, not a copy). */
export function encodingOf(der: Uint8Array, tlv: Tlv): Uint8Array {
  return der.subarray(tlv.offset, tlv.end);
}

/** Dotted form of an OBJECT IDENTIFIER value. */
export function oidToString(der: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== TAG_OID || tlv.end === tlv.start) throw new DerError('expected an OBJECT IDENTIFIER');
  const first = der[tlv.start] as number;
  const arcs: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let p = tlv.start + 1; p < tlv.end; p++) {
    const b = der[p] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * The text of a directory string (UTF8String, PrintableString, IA5String, T61String as Latin-1,
 * BMPString). PrintableString is read as-is, without rejecting characters outside its alphabet.
 */
export function directoryString(der: Uint8Array, tlv: Tlv): string {
  const bytes = Buffer.from(der.buffer, der.byteOffset + tlv.start, tlv.end - tlv.start);
  switch (tlv.tag) {
    case TAG_UTF8_STRING:
      return bytes.toString('utf8');
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
    case TAG_T61_STRING:
      return bytes.toString('latin1');
    case TAG_BMP_STRING:
      if (bytes.length % 2 !== 0) throw new DerError('BMPString with an odd number of bytes');
      return Buffer.from(bytes).swap16().toString('utf16le');
    default:
      throw new DerError(`unsupported string type 0x${tlv.tag.toString(16)}`);
  }
}
