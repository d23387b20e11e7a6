import { describe, expect, it } from 'vitest';
import { CompactDuplicateFilter } from './compact-duplicate-filter.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { accepted, rejected, type ImportItem } from './import-entry.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

describe('CompactDuplicateFilter', () => {
  it('gives exactly what DuplicateFilter gives, over 20,000 entries with repeated DevEUIs and uniqueIds', () => {
    const next = random(0x5eed);
    const items: ImportItem[] = [];
    for (let index = 0; index < 20_000; index++) {
      // Small ranges make repeats common; some identifiers are outside the compact form.
      const d = Math.floor(next() * 15_000);
      const u = Math.floor(next() * 15_000);
      const devEui = next() < 0.01 ? `0004a3${hex(d, 10)}` : `${hex(0xfedc + (d % 3), 4).toUpperCase()}${hex(d * 2654435761 % 2 ** 32, 8).toUpperCase()}${hex(d % 16, 4).toUpperCase()}`;
      const uniqueId = next() < 0.01 ? `01${hex(u, 10)}EE27` : `${hex(u % 256, 2)}${hex((u * 40503) % 2 ** 32, 8)}${hex(u, 8)}`;
      const kind = next();
      if (kind < 0.05) items.push(rejected(index, 'invalid_signature', 'bad'));
      else if (kind < 0.3) items.push(accepted({ index, devEui, joinEui: '70B3D57ED0000000' }));
      else items.push(accepted({ index, devEui, joinEui: '70B3D57ED0000000', secureElement: { uniqueId, model: 'm', partNumber: 'p', signerKid: 'k', generation: 'B' } }));
    }
    const reference = new DuplicateFilter('entry');
    const compact = new CompactDuplicateFilter();
    const expected = items.map((item) => reference.check(item));
    const got = items.map((item) => compact.check(item));
    expect(expected.filter((item) => !item.ok && item.code === 'duplicate').length).toBeGreaterThan(5_000);
    expect(got).toEqual(expected);
  });

  it('keeps a check fast for 100,000 manifest identities, which differ only in some digits', () => {
    const filter = new CompactDuplicateFilter();
    const started = performance.now();
    for (let index = 0; index < 100_000; index++) {
      const n = index.toString(16).padStart(10, '0');
      const item = accepted({
        index, devEui: `0004A3${n.toUpperCase()}`, joinEui: '70B3D57ED0000000',
        secureElement: { uniqueId: `0123${n}ee27`, model: 'm', partNumber: 'p', signerKid: 'k', generation: 'B' },
      });
      expect(filter.check(item)).toBe(item);
    }
    // About 0.1 s; badly spread hashes made it minutes.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
