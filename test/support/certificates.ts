/**
 * A throwaway PKI for HTTPS / mutual-TLS tests, made with the `openssl` command (never with Deed's
 * own code): a CA, a server certificate for localhost / 127.0.0.1 signed by it, client
 * certificates signed by it, and a second, untrusted CA with a client certificate of its own.
 * Fingerprints are computed independently with node:crypto's X509Certificate.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './deed-process.js';

/** A certificate, its private key, and its SHA-256 fingerprint. */
export interface CertificateFiles {
  /** PEM certificate file. */
  readonly cert: string;
  /** PEM private key file (unencrypted). */
  readonly key: string;
  /** SHA-256 fingerprint of the DER certificate: 64 upper-case hex digits, no colons. */
  readonly fingerprint: string;
  /** The PEM certificate's contents. */
  certPem(): Buffer;
  /** The PEM private key's contents. */
  keyPem(): Buffer;
}

/** Everything {@link createTestPki} generated, in one temporary directory. */
export interface TestPki {
  readonly dir: string;
  /** The CA that signs the server certificate and the trusted client certificates. */
  readonly ca: CertificateFiles;
  /** Server certificate: CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1. */
  readonly server: CertificateFiles;
  /** A client certificate signed by {@link TestPki.ca} (clientAuth). */
  readonly client: CertificateFiles;
  /** A second client certificate signed by {@link TestPki.ca}: trusted, for a client that is not a peer. */
  readonly otherClient: CertificateFiles;
  /** A CA the server does not trust. */
  readonly untrustedCa: CertificateFiles;
  /** A client certificate signed by {@link TestPki.untrustedCa}. */
  readonly untrustedClient: CertificateFiles;
  /** Deletes the directory. */
  remove(): void;
}

/** SHA-256 fingerprint of a PEM certificate, upper-case hex without colons (node:crypto). */
export function certificateFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toUpperCase();
}

function openssl(dir: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

function files(dir: string, name: string): CertificateFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  return {
    cert,
    key,
    fingerprint: certificateFingerprint(readFileSync(cert)),
    certPem: () => readFileSync(cert),
    keyPem: () => readFileSync(key),
  };
}

/** A self-signed CA certificate (P-256 key). */
function makeCa(dir: string, name: string, subject: string): CertificateFiles {
  openssl(dir, [
    'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  return files(dir, name);
}

/** A leaf certificate (P-256 key) signed by `ca`, with the given X.509v3 extensions. */
function makeLeaf(dir: string, name: string, subject: string, ca: CertificateFiles, extensions: readonly string[]): CertificateFiles {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${['basicConstraints=critical,CA:FALSE', 'authorityKeyIdentifier=keyid', ...extensions].join('\n')}\n`);
  openssl(dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject,
  ]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-sha256', '-extfile', ext,
  ]);
  return files(dir, name);
}

/** Generates the whole test PKI in a new temporary directory (a second or so). */
export function createTestPki(): TestPki {
  const dir = tempDir('deed-pki-');
  try {
    const ca = makeCa(dir.path, 'ca', '/O=Deed tests/CN=Deed test CA');
    const server = makeLeaf(dir.path, 'server', '/O=Deed tests/CN=localhost', ca, [
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ]);
    const clientExtensions = ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
    const client = makeLeaf(dir.path, 'client', '/O=Deed tests/CN=network-server-000013', ca, clientExtensions);
    const otherClient = makeLeaf(dir.path, 'other-client', '/O=Deed tests/CN=not-a-peer', ca, clientExtensions);
    const untrustedCa = makeCa(dir.path, 'untrusted-ca', '/O=Somebody else/CN=Untrusted CA');
    const untrustedClient = makeLeaf(dir.path, 'untrusted-client', '/O=Somebody else/CN=network-server-000013', untrustedCa, clientExtensions);
    return { dir: dir.path, ca, server, client, otherClient, untrustedCa, untrustedClient, remove: dir.remove };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
