import { execFileSync } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestSigner, deviceCertificate } from '../../test/fixtures/microchip-test-signer.js';
import { p256 } from '../../test/fixtures/test-certificates.js';
import { DerError } from './der-reader.js';
import { OID_COMMON_NAME, OID_ECDSA_WITH_SHA256, OID_SERIAL_NUMBER, X509Fields } from './x509-fields.js';
import { MICROCHIP_FIXTURES } from '../../test/support/shared-fixtures.js';

const FIXTURES = MICROCHIP_FIXTURES;

function realChain(): { device: Buffer; ca: Buffer; x: string; y: string } {
  const entry = JSON.parse(readFileSync(join(FIXTURES, 'tnglora-b-valid.json'), 'utf8'))[0];
  const payload = JSON.parse(Buffer.from(entry.payload, 'base64url').toString());
  const key = payload.publicKeySet.keys[0];
  return { device: Buffer.from(key.x5c[0], 'base64'), ca: Buffer.from(key.x5c[1], 'base64'), x: key.x, y: key.y };
}

/** `openssl x509 -text` of a DER certificate: an independent parser. */
function opensslText(der: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'deed-x509-'));
  try {
    writeFileSync(join(dir, 'c.der'), der);
    return execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'c.der'), '-noout', '-text']).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('X509Fields', () => {
  it('reads the real TNGLORA device certificate like OpenSSL does', () => {
    const { device, ca, x, y } = realChain();
    const fields = X509Fields.parse(device);
    const caFields = X509Fields.parse(ca);
    expect(fields.subjectAttributes(OID_COMMON_NAME)).toEqual(['01238EBE20080BD527 0004A310001FF9DA ATECC']);
    expect(fields.altNameDirectoryAttributes(OID_SERIAL_NUMBER)).toEqual([]);
    expect(Buffer.from(fields.issuer()).equals(caFields.subject())).toBe(true);
    expect(Buffer.from(fields.authorityKeyIdentifier() ?? []).equals(caFields.subjectKeyIdentifier() ?? Buffer.from([1]))).toBe(true);
    expect(fields.signatureAlgorithm()).toBe(OID_ECDSA_WITH_SHA256);
    const point = fields.p256PublicPoint();
    expect(Buffer.from(point?.subarray(1, 33) ?? []).toString('base64url')).toBe(x);
    expect(Buffer.from(point?.subarray(33) ?? []).toString('base64url')).toBe(y);
    // Our signed-bytes extraction agrees with OpenSSL's verification.
    const caCert = new X509Certificate(ca);
    expect(new X509Certificate(device).verify(caCert.publicKey)).toBe(true);
    expect(verify('sha256', fields.tbsCertificate(), { key: caCert.publicKey, dsaEncoding: 'der' }, fields.signatureValue())).toBe(true);
  });

  it('reads the C-generation SAN directoryName that Microchip writes as an invalid PrintableString', () => {
    const signer = createTestSigner();
    const der = deviceCertificate(signer.deviceCa, {
      generation: 'C',
      uniqueId: '0123456789abcdef01',
      devEui: '0004A310001AA90A',
      publicKey: p256().publicKey,
    });
    const fields = X509Fields.parse(der);
    expect(fields.subjectAttributes(OID_COMMON_NAME)).toEqual(['sn0123456789ABCDEF01']);
    expect(fields.altNameDirectoryAttributes(OID_SERIAL_NUMBER)).toEqual(['eui64_0004A310001AA90A']);
    // Independent readings of the same certificate.
    const node = new X509Certificate(der);
    expect(node.subjectAltName).toBe('DirName:serialNumber=eui64_0004A310001AA90A');
    expect(node.subject).toBe('O=Microchip Technology Inc\nCN=sn0123456789ABCDEF01');
    const text = opensslText(der);
    expect(text).toContain('DirName:/serialNumber=eui64_0004A310001AA90A');
    expect(text).toContain('CN = sn0123456789ABCDEF01');
    expect(node.verify(new X509Certificate(signer.deviceCa.der).publicKey)).toBe(true);
  });

  it('reads the Subject Key Identifier as OpenSSL prints it', () => {
    const pem = readFileSync(join(FIXTURES, '8VeKGdyU2d8wev6_VzNJOBOv-cA.pem'), 'utf8');
    const der = new X509Certificate(pem).raw;
    const ski = X509Fields.parse(der).subjectKeyIdentifier();
    expect(Buffer.from(ski ?? []).toString('hex').toUpperCase().match(/../g)?.join(':')).toBe(
      'F1:57:8A:19:DC:94:D9:DF:30:7A:FE:BF:57:33:49:38:13:AF:F9:C0',
    );
  });

  it('throws DerError for what is not a certificate', () => {
    const { device } = realChain();
    for (const bad of [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]), device.subarray(0, 100), Buffer.concat([device, Buffer.from([0])]), Buffer.from('hello')]) {
      expect(() => X509Fields.parse(bad)).toThrow(DerError);
    }
  });
});
