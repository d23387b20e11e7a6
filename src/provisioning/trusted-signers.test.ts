import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestSigner } from '../../test/fixtures/microchip-test-signer.js';
import { toPem } from '../../test/fixtures/test-certificates.js';
import { SignerCertificateError } from './errors.js';
import { MICROCHIP_SIGNER_PEMS, bundledSignerPems, microchipSigners } from './microchip-signers.js';
import { TrustedSigners } from './trusted-signers.js';
import { MICROCHIP_FIXTURES } from '../../test/support/shared-fixtures.js';

const FIXTURES = MICROCHIP_FIXTURES;
const pemFiles = readdirSync(FIXTURES).filter((name) => name.endsWith('.pem'));

function failure(pems: string[]): SignerCertificateError {
  try {
    TrustedSigners.fromPems(pems);
  } catch (error) {
    expect(error).toBeInstanceOf(SignerCertificateError);
    return error as SignerCertificateError;
  }
  throw new Error('expected an error');
}

describe('TrustedSigners', () => {
  it('keys each Microchip signer certificate by base64url(SKI), which is its file name', () => {
    expect(pemFiles).toHaveLength(4);
    for (const file of pemFiles) {
      const signers = TrustedSigners.fromPems([readFileSync(join(FIXTURES, file), 'utf8')]);
      expect(signers.kids()).toEqual([file.replace(/\.pem$/, '')]);
    }
  });

  it('computes x5t#S256 as the real manifest entry carries it', () => {
    const signer = microchipSigners().get('8VeKGdyU2d8wev6_VzNJOBOv-cA');
    expect(signer?.x5tS256).toBe('U9TKmw4f3iG56OGR8YV_Ncxlk0DlG0FyL9aDlwfbv1A');
    expect(signer?.subject).toContain('CN=Log Signer 002');
    expect(signer?.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('embeds exactly the fixture certificates', () => {
    const embedded = Object.fromEntries(Object.entries(MICROCHIP_SIGNER_PEMS).map(([kid, pem]) => [`${kid}.pem`, `${pem}\n`]));
    const files = Object.fromEntries(pemFiles.map((file) => [file, readFileSync(join(FIXTURES, file), 'utf8')]));
    expect(embedded).toEqual(files);
    expect(bundledSignerPems()).toHaveLength(4);
    expect(microchipSigners().kids().sort()).toEqual(Object.keys(MICROCHIP_SIGNER_PEMS).sort());
  });

  it('adds operator signers; several certificates may share one PEM text; duplicates are kept once', () => {
    const a = createTestSigner('A');
    const b = createTestSigner('B');
    const signers = microchipSigners([a.pem + b.pem, a.pem]);
    expect(signers.size).toBe(6);
    expect(signers.has(a.kid) && signers.has(b.kid)).toBe(true);
    expect(signers.get(a.kid)?.x5tS256).toBe(a.x5tS256);
    expect(TrustedSigners.fromPems([]).with([a.pem]).kids()).toEqual([a.kid]);
  });

  it('ignores validity dates (all Microchip signers have expired)', () => {
    const signer = microchipSigners().get('hfCsqVY-uQNUJNKS-LKD_ckY-1E');
    expect(new Date(signer?.certificate.validTo ?? '').getTime()).toBeLessThan(Date.now());
  });

  it('rejects unusable certificates, naming which one', () => {
    expect(failure(['not a pem']).message).toBe('pems[0]: no PEM certificate (-----BEGIN CERTIFICATE-----) found');
    const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect(failure([bundledSignerPems()[0] ?? '', garbage]).message).toBe('pems[1]: not a valid X.509 certificate');
  });

  it('rejects a signer without a Subject Key Identifier', async () => {
    const { buildCertificate, distinguishedName, p256, OID } = await import('../../test/fixtures/test-certificates.js');
    const key = p256();
    const name = distinguishedName([{ oid: OID.commonName, value: 'no ski' }]);
    const der = buildCertificate({
      serial: Buffer.from([1]),
      issuer: name,
      subject: name,
      notBefore: new Date('2020-01-01'),
      notAfter: new Date('2030-01-01'),
      publicKey: key.publicKey,
      extensions: [],
      signingKey: key.privateKey,
    });
    const error = failure([toPem(der)]);
    expect(error.code).toBe('invalid_signer_certificate');
    expect(error.message).toMatch(/^pems\[0\]: the certificate has no Subject Key Identifier/);
  });

  it('rejects two different certificates with the same kid', async () => {
    const { buildCertificate, distinguishedName, extensions, p256, OID } = await import('../../test/fixtures/test-certificates.js');
    const a = createTestSigner('A');
    const key = p256();
    const name = distinguishedName([{ oid: OID.commonName, value: 'same kid' }]);
    const der = buildCertificate({
      serial: Buffer.from([2]),
      issuer: name,
      subject: name,
      notBefore: new Date('2020-01-01'),
      notAfter: new Date('2030-01-01'),
      publicKey: key.publicKey,
      extensions: [extensions.subjectKeyIdentifier(Buffer.from(a.kid, 'base64url'))],
      signingKey: key.privateKey,
    });
    const error = failure([a.pem, toPem(der)]);
    expect(error.message).toBe(`pems[1]: another certificate already has kid ${a.kid}`);
  });

  it('rejects a non-P-256 signer key', async () => {
    const { execFileSync } = await import('node:child_process');
    const pem = execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=ed', '-days', '1',
    ]).toString();
    expect(failure([pem]).message).toBe('pems[0]: the signer key must be EC P-256 (ES256)');
  });
});
