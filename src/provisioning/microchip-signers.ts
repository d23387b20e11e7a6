import { TrustedSigners } from './trusted-signers.js';

/**
 * The public Microchip "Log Signer" certificates that sign ATECC608 manifests, embedded so they
 * ship with the compiled code (tsc does not copy .pem files). Copied by hand from
 * ../shared/fixtures/microchip/<kid>.pem; a test checks they are identical and that each kid is right.
 * Public certificates, no secret. Self-signed and expired on purpose: validity is not checked.
 */

/** PEM certificates keyed by JWS kid. */
export const MICROCHIP_SIGNER_PEMS: Readonly<Record<string, string>> = Object.freeze({
  // Log Signer Test (ATECC608A-MAHTN-T)
  'B0uaDLLiyKe-SorP71F3BNoVrfY': [
    '-----BEGIN CERTIFICATE-----',
    'MIIByDCCAW6gAwIBAgIQdl97PjgCe2uPihhJX1FVXTAKBggqhkjOPQQDAjA9MSEw',
    'HwYDVQQKDBhNaWNyb2NoaXAgVGVjaG5vbG9neSBJbmMxGDAWBgNVBAMMD0xvZyBT',
    'aWduZXIgVGVzdDAeFw0xOTAxMTgyMDI5NDFaFw0xOTAyMTgyMDI5NDFaMD0xITAf',
    'BgNVBAoMGE1pY3JvY2hpcCBUZWNobm9sb2d5IEluYzEYMBYGA1UEAwwPTG9nIFNp',
    'Z25lciBUZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHaTaoWgx1zG1JhnP',
    'NbueEtfe926WJwbkHIyTBTB2aDzBUf3oRSFleYCJOEaRZlbEoQ4WiDDwCDeBd8GK',
    'R70mN6NQME4wHQYDVR0OBBYEFAdLmgyy4sinvkqKz+9RdwTaFa32MB8GA1UdIwQY',
    'MBaAFAdLmgyy4sinvkqKz+9RdwTaFa32MAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0E',
    'AwIDSAAwRQIhAI9jMSnc+HKKnjZ5ghmYVXYgPn9M9ae6gfE4AN5xekEZAiBNk7Pz',
    'FVV78rUrxt7igKFg3mMLfE8Qeoh6dDKmRkbAEA==',
    '-----END CERTIFICATE-----',
  ].join('\n'),
  // Log Signer 001 (ATECC608A-MAHTN-T)
  '7cCILlAOwYo1-PChGuoyUISMK3g': [
    '-----BEGIN CERTIFICATE-----',
    'MIIBxjCCAWygAwIBAgIQZGIWyMZI9cMcBZipXxTOWDAKBggqhkjOPQQDAjA8MSEw',
    'HwYDVQQKDBhNaWNyb2NoaXAgVGVjaG5vbG9neSBJbmMxFzAVBgNVBAMMDkxvZyBT',
    'aWduZXIgMDAxMB4XDTE5MDEyMjAwMjc0MloXDTE5MDcyMjAwMjc0MlowPDEhMB8G',
    'A1UECgwYTWljcm9jaGlwIFRlY2hub2xvZ3kgSW5jMRcwFQYDVQQDDA5Mb2cgU2ln',
    'bmVyIDAwMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABEu8/ZyRdTu4N0kuu76C',
    'R1JR5vz04EuRqL4TQxMinRiUc3Htqy38O6HrXo2qmNoyrO0xd2I2pfQhXWYuLT35',
    'MGWjUDBOMB0GA1UdDgQWBBTtwIguUA7BijX48KEa6jJQhIwreDAfBgNVHSMEGDAW',
    'gBTtwIguUA7BijX48KEa6jJQhIwreDAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMC',
    'A0gAMEUCIQD9/x9zxmHkeWGwjEq67QsQqBVmoY8k6PvFVr4Bz1tYOwIgYfck+fv/',
    'pno8+2vVTkQDhcinNrgoPLQORzV5/l/b4z4=',
    '-----END CERTIFICATE-----',
  ].join('\n'),
  // Log Signer 002 (TNGLORA)
  '8VeKGdyU2d8wev6_VzNJOBOv-cA': [
    '-----BEGIN CERTIFICATE-----',
    'MIIBxzCCAWygAwIBAgIQc6HyMjrkT2TOY17FAX7XVjAKBggqhkjOPQQDAjA8MSEw',
    'HwYDVQQKDBhNaWNyb2NoaXAgVGVjaG5vbG9neSBJbmMxFzAVBgNVBAMMDkxvZyBT',
    'aWduZXIgMDAyMB4XDTE5MDgxNTE5NDc1OVoXDTIwMDgxNTE5NDc1OVowPDEhMB8G',
    'A1UECgwYTWljcm9jaGlwIFRlY2hub2xvZ3kgSW5jMRcwFQYDVQQDDA5Mb2cgU2ln',
    'bmVyIDAwMjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLCLrgPlT3OezntD9lC2',
    'ShwUhlx07fiq/VETJ+ITUAwbgrPjB/Xi9GchLIM7FwZSUGOEqRA6KtH32XMpTGHK',
    'mCCjUDBOMB0GA1UdDgQWBBTxV4oZ3JTZ3zB6/r9XM0k4E6/5wDAfBgNVHSMEGDAW',
    'gBTxV4oZ3JTZ3zB6/r9XM0k4E6/5wDAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMC',
    'A0kAMEYCIQDKHgctLnq/zNqfB+1v0KRhDVPvRf6Dimt8aW9WLS0NWAIhAJvUe3uJ',
    'pkMG4zpov9FCoj4G340idEadm7mVbAd5GOB9',
    '-----END CERTIFICATE-----',
  ].join('\n'),
  // Log Signer 003 (TNGLORA)
  'hfCsqVY-uQNUJNKS-LKD_ckY-1E': [
    '-----BEGIN CERTIFICATE-----',
    'MIIBxjCCAWygAwIBAgIQdvbjmoFvEQCOWUYcWB63nDAKBggqhkjOPQQDAjA8MSEw',
    'HwYDVQQKDBhNaWNyb2NoaXAgVGVjaG5vbG9neSBJbmMxFzAVBgNVBAMMDkxvZyBT',
    'aWduZXIgMDAzMB4XDTIwMDgxMzE2NDQyOVoXDTIzMDgxMzE2NDQyOVowPDEhMB8G',
    'A1UECgwYTWljcm9jaGlwIFRlY2hub2xvZ3kgSW5jMRcwFQYDVQQDDA5Mb2cgU2ln',
    'bmVyIDAwMzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOeQbQw3RR+EuMpI1lBD',
    'mrmtZR5pX3zjnz57x9o6mWudIRgMtXuO7PS5MOGnqztxgrUK7ET69uAjQjC5T4/7',
    'q2WjUDBOMB0GA1UdDgQWBBSF8KypVj65A1Qk0pL4soP9yRj7UTAfBgNVHSMEGDAW',
    'gBSF8KypVj65A1Qk0pL4soP9yRj7UTAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMC',
    'A0gAMEUCIQDTFbi2ERBNsK5o1A2t0abtDs78/Kaq/QUcHEnlB+j0oQIgT7jeTSTw',
    'e3Rzo2emytget6VogOWlMMVDe9+zdUT4rcY=',
    '-----END CERTIFICATE-----',
  ].join('\n'),
});

/**
 * The bundled Microchip signer certificates as PEM strings (Log Signer Test, 001, 002, 003), for
 * {@link TrustedSigners.fromPems}. Operators add more (a new Microchip signer, a test signer).
 */
export function bundledSignerPems(): string[] {
  return Object.values(MICROCHIP_SIGNER_PEMS).map((pem) => `${pem}\n`);
}

/**
 * The bundled Microchip signers plus `extraPems` (signers an operator configured).
 * @throws SignerCertificateError for an unusable extra certificate
 */
export function microchipSigners(extraPems: readonly string[] = []): TrustedSigners {
  return TrustedSigners.fromPems([...bundledSignerPems(), ...extraPems]);
}
