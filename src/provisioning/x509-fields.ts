import {
  DerError,
  TAG_BIT_STRING,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_SET,
  children,
  contextTag,
  directoryString,
  encodingOf,
  expectTlv,
  oidToString,
  readTlv,
  valueOf,
  type Tlv,
} from './der-reader.js';

/** X.520 / RFC 5280 / RFC 5480 object identifiers used here. */
export const OID_COMMON_NAME = '2.5.4.3';
export const OID_SERIAL_NUMBER = '2.5.4.5';
export const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
export const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_P256 = '1.2.840.10045.3.1.7';
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The parts of a certificate this module reads. */
interface CertificateParts {
  readonly tbs: Tlv;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Tlv;
  readonly issuer: Tlv;
  readonly subject: Tlv;
  readonly subjectPublicKeyInfo: Tlv;
  /** extnID -> extnValue (the OCTET STRING's content). */
  readonly extensions: ReadonlyMap<string, Tlv>;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * Walks `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }` and
 * `TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo, [1], [2], [3] extensions }` (RFC 5280 §4.1).
 * @throws DerError for anything that is not a DER X.509 certificate
 */
function certificateParts(der: Uint8Array): CertificateParts {
  const cert = expectTlv(der, 0, TAG_SEQUENCE, 'Certificate');
  if (cert.end !== der.length) throw new DerError('Certificate: trailing bytes');
  const [tbs, signatureAlgorithm, signature, extra] = children(der, cert);
  if (tbs?.tag !== TAG_SEQUENCE || signatureAlgorithm?.tag !== TAG_SEQUENCE || signature?.tag !== TAG_BIT_STRING || extra !== undefined) {
    throw new DerError('Certificate: expected tbsCertificate, signatureAlgorithm, signatureValue');
  }
  const fields = children(der, tbs);
  const k = fields[0]?.tag === contextTag(0) ? 1 : 0; // [0] EXPLICIT version
  const innerAlgorithm = fields[k + 1];
  const issuer = fields[k + 2];
  const subject = fields[k + 4];
  const subjectPublicKeyInfo = fields[k + 5];
  if (
    innerAlgorithm?.tag !== TAG_SEQUENCE ||
    issuer?.tag !== TAG_SEQUENCE ||
    subject?.tag !== TAG_SEQUENCE ||
    subjectPublicKeyInfo?.tag !== TAG_SEQUENCE
  ) {
    throw new DerError('TBSCertificate: missing fields');
  }
  if (!bytesEqual(encodingOf(der, innerAlgorithm), encodingOf(der, signatureAlgorithm))) {
    throw new DerError('Certificate: the two signature algorithm fields differ');
  }
  const extensions = new Map<string, Tlv>();
  const explicitExtensions = fields.slice(k + 6).find((f) => f.tag === contextTag(3));
  if (explicitExtensions !== undefined) {
    const list = expectTlv(der, explicitExtensions.start, TAG_SEQUENCE, 'Extensions', explicitExtensions.end);
    for (const extension of children(der, list)) {
      const parts = children(der, extension);
      const id = parts[0];
      const value = parts[parts.length - 1]; // critical BOOLEAN is optional, in between
      if (id === undefined || value === undefined || value.tag !== TAG_OCTET_STRING || parts.length > 3) {
        throw new DerError('Extension: unexpected shape');
      }
      const name = oidToString(der, id);
      if (extensions.has(name)) throw new DerError(`Extension ${name} appears twice`);
      extensions.set(name, value);
    }
  }
  return { tbs, signatureAlgorithm, signature, issuer, subject, subjectPublicKeyInfo, extensions };
}

/** Values of attribute `oid` in a `Name ::= SEQUENCE OF RelativeDistinguishedName`, in order. */
function nameAttributes(der: Uint8Array, name: Tlv, oid: string): string[] {
  const out: string[] = [];
  for (const rdn of children(der, name)) {
    if (rdn.tag !== TAG_SET) throw new DerError('Name: expected a SET');
    for (const attribute of children(der, rdn)) {
      if (attribute.tag !== TAG_SEQUENCE) throw new DerError('Name: expected an AttributeTypeAndValue');
      const [type, value] = children(der, attribute);
      if (type === undefined || value === undefined || type.tag !== TAG_OID) {
        throw new DerError('Name: malformed AttributeTypeAndValue');
      }
      if (oidToString(der, type) === oid) out.push(directoryString(der, value));
    }
  }
  return out;
}

/**
 * A DER X.509 certificate read with Deed's own small DER reader, for what node:crypto's
 * X509Certificate does not expose faithfully or cheaply: the Subject Key Identifier, the raw
 * subject CN, a directory name in the Subject Alternative Name (whose PrintableString Microchip
 * fills with the illegal `_`), and the signed bytes. (Constructing an X509Certificate costs
 * ~0.7 ms with OpenSSL 3.0 - more than the two ECDSA verifications of a manifest entry.)
 * Only structure is parsed here; signatures are verified with node:crypto by the caller.
 */
export class X509Fields {
  readonly #der: Uint8Array;
  readonly #parts: CertificateParts;

  private constructor(der: Uint8Array, parts: CertificateParts) {
    this.#der = der;
    this.#parts = parts;
  }

  /**
   * Parses the certificate structure (not its signature).
   * @throws DerError for anything that is not a DER X.509 certificate
   */
  static parse(der: Uint8Array): X509Fields {
    return new X509Fields(der, certificateParts(der));
  }

  /** The signed bytes: the whole DER `tbsCertificate`. */
  tbsCertificate(): Uint8Array {
    return encodingOf(this.#der, this.#parts.tbs);
  }

  /** The signature algorithm OID (dotted), e.g. {@link OID_ECDSA_WITH_SHA256}. */
  signatureAlgorithm(): string {
    const [algorithm] = children(this.#der, this.#parts.signatureAlgorithm);
    if (algorithm === undefined) throw new DerError('AlgorithmIdentifier: empty');
    return oidToString(this.#der, algorithm);
  }

  /** The signature value (for ECDSA: a DER `Ecdsa-Sig-Value`). @throws DerError for unused bits */
  signatureValue(): Uint8Array {
    const bits = valueOf(this.#der, this.#parts.signature);
    if (bits[0] !== 0) throw new DerError('signatureValue: unused bits');
    return bits.subarray(1);
  }

  /** The DER encoding of the issuer Name. */
  issuer(): Uint8Array {
    return encodingOf(this.#der, this.#parts.issuer);
  }

  /** The DER encoding of the subject Name. */
  subject(): Uint8Array {
    return encodingOf(this.#der, this.#parts.subject);
  }

  /**
   * The uncompressed EC point (65 bytes: 0x04, X, Y) when the key is id-ecPublicKey on P-256,
   * else `undefined`.
   */
  p256PublicPoint(): Uint8Array | undefined {
    const der = this.#der;
    const [algorithm, key] = children(der, this.#parts.subjectPublicKeyInfo);
    if (algorithm?.tag !== TAG_SEQUENCE || key?.tag !== TAG_BIT_STRING) throw new DerError('SubjectPublicKeyInfo: malformed');
    const [type, curve] = children(der, algorithm);
    if (type?.tag !== TAG_OID || curve?.tag !== TAG_OID) return undefined;
    if (oidToString(der, type) !== OID_EC_PUBLIC_KEY || oidToString(der, curve) !== OID_P256) return undefined;
    const bits = valueOf(der, key);
    return bits.length === 66 && bits[0] === 0 && bits[1] === 0x04 ? bits.subarray(1) : undefined;
  }

  /**
   * The Subject Key Identifier's keyIdentifier bytes, or `undefined` without that extension.
   * @throws DerError for a malformed extension
   */
  subjectKeyIdentifier(): Uint8Array | undefined {
    const der = this.#der;
    const value = this.#parts.extensions.get(OID_SUBJECT_KEY_IDENTIFIER);
    if (value === undefined) return undefined;
    const keyId = expectTlv(der, value.start, TAG_OCTET_STRING, 'SubjectKeyIdentifier', value.end);
    if (keyId.end !== value.end) throw new DerError('SubjectKeyIdentifier: trailing bytes');
    return valueOf(der, keyId);
  }

  /**
   * The Authority Key Identifier's `keyIdentifier [0]`, or `undefined` when absent.
   * @throws DerError for a malformed extension
   */
  authorityKeyIdentifier(): Uint8Array | undefined {
    const der = this.#der;
    const value = this.#parts.extensions.get(OID_AUTHORITY_KEY_IDENTIFIER);
    if (value === undefined) return undefined;
    const aki = expectTlv(der, value.start, TAG_SEQUENCE, 'AuthorityKeyIdentifier', value.end);
    const keyId = children(der, aki).find((part) => part.tag === 0x80);
    return keyId === undefined ? undefined : valueOf(der, keyId);
  }

  /**
   * Values of attribute `oid` (e.g. {@link OID_COMMON_NAME}) in the subject, in order.
   * @throws DerError for a malformed name
   */
  subjectAttributes(oid: string): string[] {
    return nameAttributes(this.#der, this.#parts.subject, oid);
  }

  /**
   * Values of attribute `oid` in every `directoryName` of the Subject Alternative Name (empty
   * without a SAN or without a directory name).
   * @throws DerError for a malformed SAN
   */
  altNameDirectoryAttributes(oid: string): string[] {
    const der = this.#der;
    const value = this.#parts.extensions.get(OID_SUBJECT_ALT_NAME);
    if (value === undefined) return [];
    const names = expectTlv(der, value.start, TAG_SEQUENCE, 'SubjectAltName', value.end);
    const out: string[] = [];
    for (const generalName of children(der, names)) {
      if (generalName.tag !== contextTag(4)) continue; // directoryName [4] EXPLICIT Name
      const name = readTlv(der, generalName.start, generalName.end);
      if (name.tag !== TAG_SEQUENCE) throw new DerError('directoryName: expected a Name');
      out.push(...nameAttributes(der, name, oid));
    }
    return out;
  }
}
