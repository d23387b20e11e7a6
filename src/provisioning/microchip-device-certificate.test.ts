import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestSigner, deviceCertificate, type TestCa, type TestSigner } from '../../test/fixtures/microchip-test-signer.js';
import {
  OID,
  buildCertificate,
  distinguishedName,
  extension,
  p256,
  type NameAttribute,
} from '../../test/fixtures/test-certificates.js';
import { contextConstructed, sequence } from '../../test/fixtures/der-writer.js';
import { checkDeviceCertificate } from './microchip-device-certificate.js';

const UNIQUE_ID = '0123456789abcdef01';
const DEV_EUI = '0004A310001AA90A';

describe('checkDeviceCertificate', () => {
  let signer: TestSigner;
  let key: ReturnType<typeof p256>;
  let jwk: { x: string; y: string };

  beforeAll(() => {
    signer = createTestSigner();
    key = p256();
    const exported = key.publicKey.export({ format: 'jwk' });
    jwk = { x: exported.x ?? '', y: exported.y ?? '' };
  });

  const custom = (subject: readonly NameAttribute[], sanNames: readonly (readonly NameAttribute[])[] = []): string =>
    buildCertificate({
      serial: Buffer.from([1, 2, 3]),
      issuer: signer.deviceCa.name,
      subject: distinguishedName(subject),
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      publicKey: key.publicKey,
      extensions:
        sanNames.length === 0
          ? []
          : [extension(OID.subjectAltName, sequence(...sanNames.map((name) => contextConstructed(4, distinguishedName(name)))))],
      signingKey: signer.deviceCa.privateKey,
    }).toString('base64');
  const cn = (value: string): NameAttribute => ({ oid: OID.commonName, value });
  const serialNumber = (value: string): NameAttribute => ({ oid: OID.serialNumber, value, printable: true });

  it('reads B and C generations, upper-casing the DevEUI', () => {
    for (const generation of ['B', 'C'] as const) {
      const device = deviceCertificate(signer.deviceCa, { generation, uniqueId: UNIQUE_ID, devEui: DEV_EUI, publicKey: key.publicKey });
      expect(checkDeviceCertificate([device.toString('base64'), signer.deviceCa.base64], jwk, UNIQUE_ID)).toEqual({
        ok: true,
        devEui: DEV_EUI,
        generation,
      });
    }
    const lower = custom([cn(`${UNIQUE_ID} ${DEV_EUI.toLowerCase()} ATECC`)]);
    expect(checkDeviceCertificate([lower, signer.deviceCa.base64], jwk, UNIQUE_ID)).toMatchObject({ ok: true, devEui: DEV_EUI });
  });

  it('rejects certificates without a usable DevEUI', () => {
    const cases: [string, RegExp][] = [
      [custom([cn(`${UNIQUE_ID} ${DEV_EUI}`)]), /is neither "<serial> <DevEUI> ATECC"/],
      [custom([cn(`${UNIQUE_ID} ${DEV_EUI} ATECC extra`)]), /is neither/],
      [custom([cn(`${UNIQUE_ID} 0004A310001AA9 ATECC`)]), /is neither/],
      [custom([]), /subject has 0 CNs, expected one/],
      [custom([cn('a'), cn('b')]), /subject has 2 CNs/],
      [custom([cn(`sn${UNIQUE_ID}`)]), /has no subjectAltName directoryName with serialNumber eui64_/],
      [custom([cn(`sn${UNIQUE_ID}`)], [[serialNumber(`eui64-${DEV_EUI}`)]]), /has no subjectAltName directoryName/],
      [custom([cn(`sn${UNIQUE_ID}`)], [[serialNumber(`eui64_${DEV_EUI}`)], [serialNumber('eui64_0004A310001AA90B')]]), /more than one eui64_/],
      [custom([cn(`sn${UNIQUE_ID}`)], [[serialNumber('eui64_0000000000000000')]]), /DevEUI in the device certificate is zero/],
      [custom([cn(`${UNIQUE_ID} 0000000000000000 ATECC`)]), /zero/],
    ];
    for (const [device, reason] of cases) {
      const result = checkDeviceCertificate([device, signer.deviceCa.base64], jwk, UNIQUE_ID);
      expect(result, String(reason)).toMatchObject({ ok: false, code: 'dev_eui_not_found' });
      expect(result.ok === false && result.reason).toMatch(reason);
    }
  });

  it('finds eui64_ among other SAN directory attributes', () => {
    const device = custom([cn(`sn${UNIQUE_ID}`)], [[{ oid: OID.commonName, value: 'x' }, serialNumber(`eui64_${DEV_EUI}`)]]);
    expect(checkDeviceCertificate([device, signer.deviceCa.base64], jwk, UNIQUE_ID)).toMatchObject({ ok: true, generation: 'C' });
  });

  it('rejects a certificate for another secure element', () => {
    const device = custom([cn(`0123456789ABCDEF02 ${DEV_EUI} ATECC`)]);
    expect(checkDeviceCertificate([device, signer.deviceCa.base64], jwk, UNIQUE_ID)).toMatchObject({
      ok: false,
      code: 'certificate_mismatch',
      devEui: DEV_EUI,
    });
  });

  it('rejects bad x5c values', () => {
    const device = deviceCertificate(signer.deviceCa, { generation: 'B', uniqueId: UNIQUE_ID, devEui: DEV_EUI, publicKey: key.publicKey });
    const good = device.toString('base64');
    const cases: [unknown[], RegExp][] = [
      [['not base64!', signer.deviceCa.base64], /x5c\[0\] is not standard base64/],
      [[`${good.slice(0, 10)}\n${good.slice(10)}`, signer.deviceCa.base64], /x5c\[0\] is not standard base64/],
      // URL-safe characters in the middle: the end may be '=' padding, depending on the signature length.
      [[`${good.slice(0, 20)}-_${good.slice(22)}`, signer.deviceCa.base64], /x5c\[0\] is not standard base64/],
      [[Buffer.from('hello').toString('base64'), signer.deviceCa.base64], /x5c\[0\] is not a DER X.509 certificate/],
      [[good, 'AAAA'], /x5c\[1\] is not a base64 DER X.509 certificate/],
      [[good, 42], /x5c\[1\] is not/],
    ];
    for (const [x5c, reason] of cases) {
      const result = checkDeviceCertificate(x5c, jwk, UNIQUE_ID);
      expect(result).toMatchObject({ ok: false, code: 'invalid_certificate' });
      expect(result.ok === false && result.reason).toMatch(reason);
    }
  });

  it('agrees with OpenSSL on who issued the device certificate', () => {
    const issuers: [string, TestCa][] = [
      ['device CA', signer.deviceCa],
      ['other CA', signer.otherCa],
      ['impostor CA (same name and key id, other key)', signer.impostorCa],
    ];
    for (const [, issuer] of issuers) {
      const device = deviceCertificate(issuer, { generation: 'C', uniqueId: UNIQUE_ID, devEui: DEV_EUI, publicKey: key.publicKey });
      for (const [, claimed] of issuers) {
        const node = new X509Certificate(device);
        const ca = new X509Certificate(claimed.der);
        const oracle = node.checkIssued(ca) && node.verify(ca.publicKey);
        const result = checkDeviceCertificate([device.toString('base64'), claimed.base64], jwk, UNIQUE_ID);
        expect(result.ok).toBe(oracle);
        if (!oracle) expect(result).toMatchObject({ code: 'certificate_chain_mismatch', devEui: DEV_EUI });
      }
    }
  });

  it('compares the JWK with the certificate key', () => {
    const device = deviceCertificate(signer.deviceCa, { generation: 'B', uniqueId: UNIQUE_ID, devEui: DEV_EUI, publicKey: key.publicKey });
    const x5c = [device.toString('base64'), signer.deviceCa.base64];
    const other = p256().publicKey.export({ format: 'jwk' });
    for (const bad of [{ ...jwk, x: other.x ?? '' }, { ...jwk, y: other.y ?? '' }, { x: jwk.y, y: jwk.x }, { ...jwk, x: `${jwk.x}=` }]) {
      expect(checkDeviceCertificate(x5c, bad, UNIQUE_ID)).toMatchObject({ ok: false, code: 'public_key_mismatch', devEui: DEV_EUI });
    }
  });
});
