import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildManifest,
  createTestSigner,
  manifestEntries,
  testIdentity,
  type BuiltManifest,
  type Corruption,
  type TestSigner,
} from '../../test/fixtures/microchip-test-signer.js';
import { ImportFileError } from './errors.js';
import type { ImportItem, ImportRejected } from './import-entry.js';
import { hashedSource } from './import-source.js';
import { TNGLORA_JOIN_EUI, readMicrochipManifest, verifyManifestEntry } from './microchip-manifest.js';
import { MICROCHIP_SIGNER_PEMS, microchipSigners } from './microchip-signers.js';
import { TrustedSigners } from './trusted-signers.js';
import { MICROCHIP_FIXTURES } from '../../test/support/shared-fixtures.js';

const FIXTURES = MICROCHIP_FIXTURES;
const fixtureEntry = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))[0] as Record<string, unknown>;

async function collect(items: AsyncIterable<ImportItem>): Promise<{ items: ImportItem[]; error?: unknown }> {
  const out: ImportItem[] = [];
  try {
    for await (const item of items) out.push(item);
    return { items: out };
  } catch (error) {
    return { items: out, error };
  }
}

function rejection(item: ImportItem | undefined): ImportRejected {
  if (item === undefined || item.ok) throw new Error(`expected a rejection, got ${JSON.stringify(item)}`);
  return item;
}

const manifestText = (options: Parameters<typeof manifestEntries>[0]): string => `[${[...manifestEntries(options)].join(',\n')}]`;

describe('verifyManifestEntry with the real Microchip fixture', () => {
  const signers = microchipSigners();

  it('accepts the real TNGLORA B entry signed by Log Signer 002', () => {
    const item = verifyManifestEntry(fixtureEntry('tnglora-b-valid.json'), 0, signers);
    expect(item).toEqual({
      ok: true,
      entry: {
        index: 0,
        devEui: '0004A310001FF9DA',
        joinEui: '70B3D57ED0000000',
        secureElement: {
          uniqueId: '01238ebe20080bd527',
          model: 'ATECC608A',
          partNumber: 'ATECC608A-MAHT3',
          signerKid: '8VeKGdyU2d8wev6_VzNJOBOv-cA',
          generation: 'B',
        },
      },
    });
  });

  it('rejects the bad-signature fixture', () => {
    expect(verifyManifestEntry(fixtureEntry('tnglora-b-bad-signature.json'), 3, signers)).toMatchObject({
      ok: false,
      index: 3,
      code: 'invalid_signature',
    });
  });

  it('rejects a same-length signature corruption (the signature itself fails)', () => {
    const entry = fixtureEntry('tnglora-b-valid.json');
    const signature = String(entry['signature']);
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const item = rejection(verifyManifestEntry({ ...entry, signature: flipped }, 0, signers));
    expect(item.code).toBe('invalid_signature');
    expect(item.reason).toBe('signature does not verify with the certificate of kid "8VeKGdyU2d8wev6_VzNJOBOv-cA"');
    expect(item.devEui).toBeUndefined(); // nothing from an unverified payload
  });

  it('rejects a tampered payload', () => {
    const entry = fixtureEntry('tnglora-b-valid.json');
    const payload = JSON.parse(Buffer.from(String(entry['payload']), 'base64url').toString());
    payload.uniqueId = '01238ebe20080bd528';
    const forged = { ...entry, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') };
    expect(verifyManifestEntry(forged, 0, signers)).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('rejects the real entry when Log Signer 002 is not trusted, naming its kid', () => {
    const without002 = TrustedSigners.fromPems(
      Object.entries(MICROCHIP_SIGNER_PEMS)
        .filter(([kid]) => kid !== '8VeKGdyU2d8wev6_VzNJOBOv-cA')
        .map(([, pem]) => pem),
    );
    const item = rejection(verifyManifestEntry(fixtureEntry('tnglora-b-valid.json'), 0, without002));
    expect(item.code).toBe('unknown_signer');
    expect(item.reason).toBe('signed by an unknown signer: kid "8VeKGdyU2d8wev6_VzNJOBOv-cA" is not trusted');
  });

  it('never takes uniqueId from the unprotected header', () => {
    const entry = fixtureEntry('tnglora-b-valid.json');
    const item = rejection(verifyManifestEntry({ ...entry, header: { uniqueId: '01238ebe20080bd528' } }, 0, signers));
    expect(item.code).toBe('certificate_mismatch');
    expect(item.reason).toContain('01238ebe20080bd527');
    // Without the header, the signed uniqueId is used.
    const { header: _header, ...bare } = entry;
    expect(verifyManifestEntry(bare, 0, signers)).toMatchObject({ ok: true, entry: { secureElement: { uniqueId: '01238ebe20080bd527' } } });
  });

  it('rejects malformed entries with a reason naming the member', () => {
    const entry = fixtureEntry('tnglora-b-valid.json');
    const cases: [unknown, string, RegExp][] = [
      [null, 'malformed_entry', /not a JSON object/],
      [[entry], 'malformed_entry', /not a JSON object/],
      [{ ...entry, signature: 42 }, 'malformed_entry', /JWS member signature must be a base64url string/],
      [{ payload: entry['payload'] }, 'malformed_entry', /JWS member protected, signature must be/],
      [{ ...entry, protected: 'e30=' }, 'malformed_entry', /protected header is not base64url/],
      [{ ...entry, protected: Buffer.from('[1]').toString('base64url') }, 'malformed_entry', /protected header is not a JSON object/],
      [{ ...entry, header: 'x' }, 'malformed_entry', /header must be an object/],
      [{ ...entry, payload: 'a+b' }, 'malformed_entry', /payload is not base64url/],
    ];
    for (const [raw, code, reason] of cases) {
      const item = rejection(verifyManifestEntry(raw, 7, signers));
      expect(item.index).toBe(7);
      expect(item.code).toBe(code);
      expect(item.reason).toMatch(reason);
    }
  });
});

describe('manifests from a test signer', () => {
  let signer: TestSigner;
  let signers: TrustedSigners;

  beforeAll(() => {
    signer = createTestSigner();
    signers = microchipSigners([signer.pem]);
  });

  it('rejects an entry whose kid is not trusted, naming the kid', () => {
    const [text] = [...manifestEntries({ count: 1, generation: 'B', signer })];
    const item = rejection(verifyManifestEntry(JSON.parse(text ?? ''), 0, microchipSigners()));
    expect(item.code).toBe('unknown_signer');
    expect(item.reason).toBe(`signed by an unknown signer: kid "${signer.kid}" is not trusted`);
  });

  it('checks x5t#S256 against the trusted certificate', () => {
    const other = createTestSigner('same key id, other certificate');
    const [text] = [...manifestEntries({ count: 1, generation: 'B', signer: { ...signer, x5tS256: other.x5tS256 } })];
    expect(verifyManifestEntry(JSON.parse(text ?? ''), 0, signers)).toMatchObject({ ok: false, code: 'signer_mismatch' });
  });

  it('accepts B and C generations, reading the DevEUI from the device certificate', async () => {
    const { items, error } = await collect(
      readMicrochipManifest(Readable.from([manifestText({ count: 6, generation: 'mixed', signer })]), signers),
    );
    expect(error).toBeUndefined();
    expect(items).toHaveLength(6);
    items.forEach((item, index) => {
      expect(item).toEqual({
        ok: true,
        entry: {
          index,
          devEui: testIdentity(index).devEui,
          joinEui: TNGLORA_JOIN_EUI,
          secureElement: {
            uniqueId: testIdentity(index).uniqueId,
            model: index % 2 === 0 ? 'ATECC608B' : 'ATECC608C',
            partNumber: index % 2 === 0 ? 'ATECC608B-TNGLORA' : 'ATECC608C-TNGLORA',
            signerKid: signer.kid,
            generation: index % 2 === 0 ? 'B' : 'C',
          },
        },
      });
    });
  });

  it('imports the good entries of a mixed file and reports each bad one with its index', async () => {
    const corrupt = new Map<number, Corruption>([
      [1, 'signature'],
      [2, 'unknown-kid'],
      [3, 'alg'],
      [5, 'chain'],
      [6, 'impostor-ca'],
      [7, 'jwk'],
      [8, 'zero-dev-eui'],
      [9, 'bad-cn'],
      [10, 'serial-mismatch'],
      [11, 'header-unique-id'],
      [12, 'duplicate'],
      [13, 'not-json'],
    ]);
    const expected: Record<number, [string, RegExp]> = {
      1: ['invalid_signature', /signature does not verify/],
      2: ['unknown_signer', /kid "bm90LWEtdHJ1c3RlZC1zaWduZXI" is not trusted/],
      3: ['unsupported_algorithm', /alg must be ES256, got "HS256"/],
      5: ['certificate_chain_mismatch', /x5c\[0\]\) is not issued and signed by .* \(x5c\[1\]\)/],
      6: ['certificate_chain_mismatch', /not issued and signed/],
      7: ['public_key_mismatch', /JWK x\/y is not the public key of the device certificate/],
      8: ['dev_eui_not_found', /DevEUI in the device certificate is zero/],
      9: ['dev_eui_not_found', /CN "device 0123\w+" is neither/],
      10: ['certificate_mismatch', /device certificate is for secure element \w+, not for uniqueId/],
      11: ['certificate_mismatch', /unprotected header.uniqueId contradicts/],
      12: ['duplicate', /DevEUI 0004A30000000000 already appears in entry 0 of this file/],
      13: ['malformed_entry', /entry at byte \d+ is not valid JSON/],
    };
    const manifest = await buildManifest({ count: 20, generation: 'mixed', signer, corrupt, pretty: true });
    try {
      const { items, error } = await collect(readMicrochipManifest(createReadStream(manifest.path), signers));
      expect(error).toBeUndefined();
      expect(items.map((item) => (item.ok ? item.entry.index : item.index))).toEqual([...Array(20).keys()]);
      for (const item of items) {
        const want = expected[item.ok ? item.entry.index : item.index];
        if (want === undefined) {
          expect(item.ok).toBe(true);
        } else {
          const bad = rejection(item);
          expect([bad.index, bad.code]).toEqual([bad.index, want[0]]);
          expect(bad.reason).toMatch(want[1]);
        }
      }
      // DevEUI is reported once the signature verified and the certificate was read.
      expect(rejection(items[7]).devEui).toBe(testIdentity(7).devEui);
      expect(rejection(items[5]).devEui).toBe(testIdentity(5).devEui);
      expect(rejection(items[1]).devEui).toBeUndefined();
    } finally {
      rmSync(dirname(manifest.path), { recursive: true, force: true });
    }
  });

  it('rejects a second entry for the same secure element even with another DevEUI', async () => {
    const text = manifestText({ count: 3, generation: 'C', signer, corrupt: new Map([[2, 'duplicate-unique-id']]) });
    const { items } = await collect(readMicrochipManifest(text, signers));
    expect(items.map((item) => item.ok)).toEqual([true, true, false]);
    expect(rejection(items[2])).toEqual({
      ok: false,
      index: 2,
      code: 'duplicate',
      reason: `secure element uniqueId ${testIdentity(0).uniqueId} already appears in entry 0 of this file`,
      devEui: testIdentity(2).devEui,
    });
  });

  it('stops reading the file when the caller stops early', async () => {
    let closed = false;
    const entries = [...manifestEntries({ count: 3, generation: 'B', signer })];
    async function* source(): AsyncGenerator<string> {
      try {
        yield `[${entries[0]},`;
        yield `${entries[1]},`;
        yield `${entries[2]}]`;
      } finally {
        closed = true;
      }
    }
    for await (const item of readMicrochipManifest(source(), signers)) {
      expect(item.ok).toBe(true);
      break;
    }
    expect(closed).toBe(true);
  });

  it('fails a truncated manifest after yielding the complete entries', async () => {
    const text = manifestText({ count: 3, generation: 'B', signer });
    const cut = text.slice(0, text.length - 200);
    const { items, error } = await collect(readMicrochipManifest([cut], signers));
    expect(items.map((item) => item.ok)).toEqual([true, true]);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as ImportFileError).code).toBe('malformed_file');
    expect((error as ImportFileError).message).toMatch(
      new RegExp(`truncated file: it ends inside a string of array element 2 \\(which starts at byte \\d+\\) at byte ${Buffer.byteLength(cut)}$`),
    );
  });

  it('fails files that are not manifests at all', async () => {
    for (const garbage of ['', 'hello', '{"payload":"x"}', '\u0000\u0001binary', 'dev_eui,join_eui\n0004A310001FF9DA,70B3D57ED0000000\n']) {
      const { items, error } = await collect(readMicrochipManifest([garbage], signers));
      expect(items).toEqual([]);
      expect(error).toBeInstanceOf(ImportFileError);
      expect((error as ImportFileError).message).toMatch(/^not a JSON array/);
    }
    const { items } = await collect(readMicrochipManifest(['[1, "x", null, [], {}]'], signers));
    expect(items.map((item) => rejection(item).code)).toEqual(Array(5).fill('malformed_entry'));
  });

  it('skips a 10 MiB entry without holding it, and reads a minified one-line manifest', async () => {
    const entries = [...manifestEntries({ count: 5, generation: 'C', signer })];
    const huge = JSON.stringify({ payload: 'A'.repeat(10 * 1024 * 1024), protected: 'x', signature: 'y' });
    async function* source(): AsyncGenerator<string> {
      yield `[${entries[0]},${entries[1]},`;
      for (let i = 0; i < huge.length; i += 65536) yield huge.slice(i, i + 65536);
      yield `,${entries.slice(2).join(',')}]`;
    }
    const before = process.memoryUsage().heapUsed;
    const { items, error } = await collect(readMicrochipManifest(source(), signers));
    expect(error).toBeUndefined();
    expect(items.map((item) => item.ok)).toEqual([true, true, false, true, true, true]);
    expect(rejection(items[2])).toMatchObject({ index: 2, code: 'entry_too_large' });
    expect(rejection(items[2]).reason).toMatch(/^entry at byte \d+ is 10485\d+ bytes, over the 1048576-byte limit; skipped$/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('hashes the file it reads, for the audit record', async () => {
    const text = manifestText({ count: 2, generation: 'B', signer });
    const hashed = hashedSource(Readable.from([text.slice(0, 1000), text.slice(1000)]));
    const { items } = await collect(readMicrochipManifest(hashed.source, signers));
    expect(items).toHaveLength(2);
    const { createHash } = await import('node:crypto');
    expect(hashed.sha256()).toBe(createHash('sha256').update(text).digest('hex'));
    expect(hashed.bytes()).toBe(Buffer.byteLength(text));
  });
});

describe('manifest speed', () => {
  let signer: TestSigner;
  let manifest: BuiltManifest;

  beforeAll(async () => {
    signer = createTestSigner();
    manifest = await buildManifest({ count: 1000, generation: 'mixed', signer });
  });
  afterAll(() => rmSync(dirname(manifest.path), { recursive: true, force: true }));

  it('builds 1,000 entries in well under 10 s and verifies them all', async () => {
    expect(manifest.elapsedMs).toBeLessThan(10_000);
    const started = performance.now();
    let ok = 0;
    for await (const item of readMicrochipManifest(createReadStream(manifest.path), microchipSigners([signer.pem]))) {
      if (item.ok) ok += 1;
    }
    const elapsed = performance.now() - started;
    expect(ok).toBe(1000);
    console.info(
      `manifest: built 1000 entries (${(manifest.bytes / 1e6).toFixed(1)} MB) in ${manifest.elapsedMs.toFixed(0)} ms; ` +
        `verified in ${elapsed.toFixed(0)} ms = ${((1000 / elapsed) * 1000).toFixed(0)} entries/s`,
    );
  });
});
