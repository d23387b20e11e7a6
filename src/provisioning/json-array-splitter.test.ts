import { describe, expect, it } from 'vitest';
import { ImportFileError } from './errors.js';
import { splitJsonArray, type JsonArrayElement } from './json-array-splitter.js';

/** Feeds `text` in chunks of `size` bytes. */
async function* chunked(text: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function split(
  text: string | Buffer,
  size = 7,
  max?: number,
): Promise<{ elements: JsonArrayElement[]; error?: ImportFileError }> {
  const elements: JsonArrayElement[] = [];
  try {
    for await (const element of splitJsonArray(chunked(text, size), max === undefined ? {} : { maxElementBytes: max })) {
      elements.push(element);
    }
    return { elements };
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    return { elements, error };
  }
}

const texts = (elements: readonly JsonArrayElement[]): string[] => elements.map((e) => (e.kind === 'element' ? e.text : `<too large ${e.size}>`));

describe('splitJsonArray', () => {
  it('cuts an array into its top-level elements, whatever the chunk size', async () => {
    const values = [{ a: 1, b: [1, 2, { c: '}]"\\' }] }, 'str,]}', 42, -1.5e3, true, null, [], {}, [[['x']]], 'é ü 😀'];
    const text = JSON.stringify(values, null, 1);
    for (const size of [1, 2, 3, 5, 64, 100_000]) {
      const { elements, error } = await split(text, size);
      expect(error).toBeUndefined();
      expect(elements.map((e) => (e.kind === 'element' ? JSON.parse(e.text) : undefined))).toEqual(values);
      expect(elements.map((e) => e.index)).toEqual(values.map((_, i) => i));
    }
  });

  it('reports byte offsets of elements, counting multi-byte characters and a BOM', async () => {
    const text = '\uFEFF[ {"a":"é"} ,  {"b":2}]';
    const { elements } = await split(text, 1);
    expect(elements).toHaveLength(2);
    const bytes = Buffer.from(text, 'utf8');
    for (const element of elements) {
      expect(bytes.subarray(element.offset, element.offset + 1).toString()).toBe('{');
    }
    expect(elements[1]?.offset).toBe(bytes.indexOf('{"b"'));
  });

  it('accepts an empty array and surrounding whitespace', async () => {
    expect(await split(' \n[ \n ] \n')).toEqual({ elements: [] });
  });

  it('drops an over-long element but keeps scanning, then yields the rest', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(5000), nested: ['"', '\\', ']', '}'] });
    const text = `[{"a":1},${big},{"b":2}]`;
    const { elements, error } = await split(text, 100, 1000);
    expect(error).toBeUndefined();
    expect(texts(elements)).toEqual(['{"a":1}', `<too large ${Buffer.byteLength(big)}>`, '{"b":2}']);
    expect(elements[1]).toMatchObject({ kind: 'too_large', index: 1, offset: 9 });
  });

  it('keeps an element of exactly the limit', async () => {
    const element = JSON.stringify({ s: 'y'.repeat(100) });
    const { elements } = await split(`[${element}]`, 10, Buffer.byteLength(element));
    expect(texts(elements)).toEqual([element]);
  });

  it('yields the complete elements, then fails on a truncated file, naming the byte offset', async () => {
    const cases: [string, RegExp, number][] = [
      ['[{"a":1},{"b":"unterminated', /truncated file: it ends inside a string of array element 1/, 1],
      ['[{"a":1},{"b":[1,2', /truncated file: it ends inside array element 1/, 1],
      ['[{"a":1},{"b":2}', /not closed with '\]' after 2 element/, 2],
      ['[{"a":1},', /not closed/, 1],
      ['[', /not closed/, 0],
    ];
    for (const [text, message, complete] of cases) {
      const { elements, error } = await split(text, 4);
      expect(error?.code).toBe('malformed_file');
      expect(error?.message).toMatch(message);
      expect(error?.message).toContain(`at byte ${Buffer.byteLength(text)}`);
      expect(error?.details).toEqual({ offset: Buffer.byteLength(text) });
      expect(elements.filter((e) => e.kind === 'element')).toHaveLength(complete);
    }
  });

  it('rejects what is not an array, or garbage between or after elements', async () => {
    const cases: [string, RegExp][] = [
      ['', /not a JSON array: the file is empty at byte 0/],
      ['{"a":1}', /not a JSON array: expected '\[' but found '\{' at byte 0/],
      ['\x00\x01\x02', /expected '\[' but found byte 0x00 at byte 0/],
      ['\uFEFF\uFEFF[]', /expected '\[' but found byte 0xef at byte 3/],
      ['[{"a":1} {"b":2}]', /expected ',' or '\]' after array element 0 but found '\{' at byte 9/],
      ['[{"a":1}]x', /unexpected 'x' after the end of the array at byte 9/],
      ['[{"a":1},]', /missing array element 1 \(found '\]'\) at byte 9/],
      ['[,{"a":1}]', /missing array element 0/],
    ];
    for (const [text, message] of cases) {
      const { error } = await split(text);
      expect(error?.code).toBe('malformed_file');
      expect(error?.message).toMatch(message);
    }
  });

  it('yields elements that are complete before garbage, and never parses them', async () => {
    const { elements, error } = await split('[{"a":1},{"not json" 3},{"b":2} x');
    expect(texts(elements)).toEqual(['{"a":1}', '{"not json" 3}', '{"b":2}']);
    expect(error?.message).toMatch(/after array element 2/);
  });

  it('accepts string chunks and Uint8Array chunks', async () => {
    async function* mixed(): AsyncGenerator<string | Uint8Array> {
      yield '[{"a":';
      yield new TextEncoder().encode('1},');
      yield '{"b":2}]';
    }
    const elements: JsonArrayElement[] = [];
    for await (const element of splitJsonArray(mixed())) elements.push(element);
    expect(texts(elements)).toEqual(['{"a":1}', '{"b":2}']);
  });
});
