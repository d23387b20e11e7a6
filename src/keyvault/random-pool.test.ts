import { describe, expect, it } from 'vitest';
import { RandomPool } from './random-pool.js';

describe('RandomPool', () => {
  it('returns the lengths asked for, each range once', () => {
    const pool = new RandomPool();
    const seen: { buffer: ArrayBufferLike; start: number; end: number }[] = [];
    for (let i = 0; i < 5000; i++) {
      const length = (i % 33) + 1;
      const bytes = pool.bytes(length);
      expect(bytes).toHaveLength(length);
      seen.push({ buffer: bytes.buffer, start: bytes.byteOffset, end: bytes.byteOffset + length });
    }
    // No two results share a byte of the same underlying buffer.
    const byBuffer = new Map<ArrayBufferLike, { start: number; end: number }[]>();
    for (const range of seen) byBuffer.set(range.buffer, [...(byBuffer.get(range.buffer) ?? []), range]);
    expect(byBuffer.size).toBeGreaterThan(1);
    for (const ranges of byBuffer.values()) {
      ranges.sort((a, b) => a.start - b.start);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThanOrEqual(ranges[i - 1]!.end);
    }
  });

  it('never changes a value it returned, even when the pool is replaced', () => {
    const pool = new RandomPool();
    const first = pool.bytes(16);
    const copy = Uint8Array.from(first);
    for (let i = 0; i < 2000; i++) pool.bytes(16);
    expect(Uint8Array.from(first)).toEqual(copy);
  });

  it('gives distinct values and serves large requests on their own', () => {
    const pool = new RandomPool();
    const values = new Set(Array.from({ length: 1000 }, () => Buffer.from(pool.bytes(16)).toString('hex')));
    expect(values.size).toBe(1000);
    const large = pool.bytes(1000);
    expect(large).toHaveLength(1000);
    expect(new Set(large).size).toBeGreaterThan(200);
    expect(pool.bytes(0)).toHaveLength(0);
    expect(() => pool.bytes(-1)).toThrow(RangeError);
  });
});
