import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { DerError } from './der-reader.js';
import { SignerCertificateError } from './errors.js';
import { X509Fields } from './x509-fields.js';

/** One trusted manifest signer (a Microchip "Log Signer", or a test signer). */
export interface TrustedSigner {
  /** JWS `kid`: base64url (no padding) of the certificate's Subject Key Identifier. */
  readonly kid: string;
  /** JWS `x5t#S256`: base64url (no padding) of the SHA-256 of the DER certificate. */
  readonly x5tS256: string;
  /** The certificate subject, for messages and audit (e.g. `O=Microchip Technology Inc\nCN=Log Signer 002`). */
  readonly subject: string;
  /** EC P-256 public key that verifies ES256 signatures. */
  readonly publicKey: KeyObject;
  readonly certificate: X509Certificate;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

function signerFromCertificate(certificate: X509Certificate, where: string): TrustedSigner {
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SignerCertificateError(`${where}: the signer key must be EC P-256 (ES256)`, { subject: certificate.subject });
  }
  let ski: Uint8Array | undefined;
  try {
    ski = X509Fields.parse(certificate.raw).subjectKeyIdentifier();
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    throw new SignerCertificateError(`${where}: cannot read the certificate: ${error.message}`);
  }
  if (ski === undefined || ski.length === 0) {
    throw new SignerCertificateError(`${where}: the certificate has no Subject Key Identifier, so it has no JWS kid`, {
      subject: certificate.subject,
    });
  }
  return Object.freeze({
    kid: Buffer.from(ski).toString('base64url'),
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
    subject: certificate.subject,
    publicKey: key,
    certificate,
  });
}

/**
 * The set of certificates whose ES256 signatures a manifest import trusts, keyed by JWS `kid`.
 *
 * Validity dates are deliberately not checked: Microchip's Log Signer certificates expired long
 * ago, and manifests are imported years after they were signed. Trust comes from configuration
 * (the bundled Microchip signers plus whatever the operator adds), not from a chain.
 * Immutable; {@link TrustedSigners.with} returns a new set.
 */
export class TrustedSigners {
  readonly #byKid: ReadonlyMap<string, TrustedSigner>;

  private constructor(byKid: ReadonlyMap<string, TrustedSigner>) {
    this.#byKid = byKid;
  }

  /**
   * Builds the set from PEM texts; each string may hold one or more `CERTIFICATE` blocks.
   * The same certificate given twice is kept once.
   * @throws SignerCertificateError naming `pems[i]` for a string without a certificate, a
   *   certificate that is not EC P-256 or has no Subject Key Identifier, or two different
   *   certificates with the same kid
   */
  static fromPems(pems: readonly string[]): TrustedSigners {
    return new TrustedSigners(new Map()).with(pems);
  }

  /** A new set with the certificates of `pems` added (same rules as {@link TrustedSigners.fromPems}). */
  with(pems: readonly string[]): TrustedSigners {
    const byKid = new Map(this.#byKid);
    pems.forEach((pem, i) => {
      const blocks = typeof pem === 'string' ? (pem.match(PEM_CERTIFICATE) ?? []) : [];
      if (blocks.length === 0) {
        throw new SignerCertificateError(`pems[${i}]: no PEM certificate (-----BEGIN CERTIFICATE-----) found`);
      }
      blocks.forEach((block, j) => {
        const where = blocks.length === 1 ? `pems[${i}]` : `pems[${i}] certificate ${j + 1}`;
        let certificate: X509Certificate;
        try {
          certificate = new X509Certificate(block);
        } catch {
          throw new SignerCertificateError(`${where}: not a valid X.509 certificate`);
        }
        const signer = signerFromCertificate(certificate, where);
        const existing = byKid.get(signer.kid);
        if (existing !== undefined && existing.x5tS256 !== signer.x5tS256) {
          throw new SignerCertificateError(`${where}: another certificate already has kid ${signer.kid}`, { kid: signer.kid });
        }
        byKid.set(signer.kid, signer);
      });
    });
    return new TrustedSigners(byKid);
  }

  /** The signer with this JWS `kid`, if trusted. */
  get(kid: string): TrustedSigner | undefined {
    return this.#byKid.get(kid);
  }

  /** True when a signer with this `kid` is trusted. */
  has(kid: string): boolean {
    return this.#byKid.has(kid);
  }

  /** The trusted kids, in the order they were added. */
  kids(): string[] {
    return [...this.#byKid.keys()];
  }

  /** Number of trusted signers. */
  get size(): number {
    return this.#byKid.size;
  }
}
