import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestSigner, manifestEntries, testIdentity, type Corruption, type TestSigner } from '../../test/fixtures/microchip-test-signer.js';
import type { ImportItem } from './import-entry.js';
import { readMicrochipManifestInParallel } from './manifest-verifier-pool.js';
import { readMicrochipManifest } from './microchip-manifest.js';
import { microchipSigners } from './microchip-signers.js';
import type { TrustedSigners } from './trusted-signers.js';

async function collect(items: AsyncIterable<ImportItem>): Promise<{ items: ImportItem[]; error?: unknown }> {
  const out: ImportItem[] = [];
  try {
    for await (const item of items) out.push(item);
    return { items: out };
  } catch (error) {
    return { items: out, error };
  }
}

/** The file in small chunks, as an HTTP body arrives. */
const chunked = (text: string) => Readable.from((function* () {
  for (let i = 0; i < text.length; i += 4096) yield Buffer.from(text.slice(i, i + 4096));
})());

describe('readMicrochipManifestInParallel', () => {
  let signer: TestSigner;
  let signers: TrustedSigners;
  let text: string;

  beforeAll(() => {
    signer = createTestSigner('Pool Test Log Signer');
    signers = microchipSigners([signer.pem]);
    const kinds: Corruption[] = [
      'signature', 'unknown-kid', 'alg', 'chain', 'impostor-ca', 'jwk', 'zero-dev-eui', 'bad-cn', 'serial-mismatch',
      'header-unique-id', 'duplicate', 'duplicate-unique-id', 'not-json',
    ];
    // Bad entries spread over the file, also inside the part verified before the workers start.
    const corrupt = new Map<number, Corruption>(kinds.flatMap((kind, i) => [[3 + i * 7, kind], [150 + i * 11, kind]] as [number, Corruption][]));
    const entries = [...manifestEntries({ count: 400, generation: 'mixed', signer, corrupt })];
    // An element over the size limit given below, and elements that are not objects.
    entries.splice(77, 0, JSON.stringify({ payload: 'x'.repeat(40_000) }), '"a string"', '42');
    text = `[\n${entries.join(',\n')}\n]\n`;
  });

  const options = { maxEntryBytes: 16 * 1024 };

  it('yields exactly what readMicrochipManifest yields, in file order, on worker threads', async () => {
    const expected = await collect(readMicrochipManifest(chunked(text), signers, options));
    expect(expected.error).toBeUndefined();
    expect(expected.items).toHaveLength(403);
    expect(expected.items.filter((item) => !item.ok).length).toBeGreaterThan(26);
    for (const threads of [1, 2, 3]) {
      const got = await collect(readMicrochipManifestInParallel(chunked(text), signers, { ...options, threads }));
      expect(got.error).toBeUndefined();
      expect(got.items).toEqual(expected.items);
    }
  });

  it('yields the complete entries of a truncated file, then the same file error', async () => {
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    const expected = await collect(readMicrochipManifest(chunked(cut), signers, options));
    const got = await collect(readMicrochipManifestInParallel(chunked(cut), signers, { ...options, threads: 2 }));
    expect(got.items.length).toBeGreaterThan(200);
    expect(got.items).toEqual(expected.items);
    expect(got.error).toBeInstanceOf(Error);
    expect(got.error).toEqual(expected.error);
    expect((got.error as { code?: string }).code).toBe('malformed_file');
  });

  it('hands big entries out a few at a time, with the same results', async () => {
    // Up to 1 MiB per entry is allowed: an unprotected header member makes valid entries of 600 KB.
    const big = [...manifestEntries({ count: 40, generation: 'B', signer, corrupt: new Map([[5, 'signature']]) })].map((entry, i) => {
      const parsed = JSON.parse(entry) as { header: Record<string, unknown> };
      parsed.header['padding'] = String(i).repeat(600_000 / String(i).length);
      return JSON.stringify(parsed);
    });
    const file = `[${big.join(',')}]`;
    const expected = await collect(readMicrochipManifest(chunked(file), signers));
    expect(expected.items.filter((item) => item.ok)).toHaveLength(39);
    expect(await collect(readMicrochipManifestInParallel(chunked(file), signers, { threads: 2 }))).toEqual(expected);
  });

  it('verifies small files and threads: 0 on the calling thread, with the same results', async () => {
    const small = `[${[...manifestEntries({ count: 5, generation: 'C', signer, corrupt: new Map([[2, 'jwk']]) })].join(',')}]`;
    const expected = await collect(readMicrochipManifest(small, signers));
    expect(await collect(readMicrochipManifestInParallel(small, signers))).toEqual(expected);
    expect(await collect(readMicrochipManifestInParallel(text, signers, { ...options, threads: 0 }))).toEqual(
      await collect(readMicrochipManifest(text, signers, options)),
    );
  });

  it('stops its workers when the caller stops early', async () => {
    const threadCount = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const before = threadCount();
    let during = 0;
    const seen: string[] = [];
    for await (const item of readMicrochipManifestInParallel(chunked(text), signers, { ...options, threads: 2 })) {
      if (item.ok) seen.push(item.entry.devEui);
      if (seen.length === 50) {
        during = threadCount();
        break;
      }
    }
    expect(seen[0]).toBe(testIdentity(0).devEui);
    // The two verifier threads ran, and are gone once the loop is left.
    expect(during).toBeGreaterThanOrEqual(before + 2);
    expect(threadCount()).toBeLessThanOrEqual(before);
  });
});
