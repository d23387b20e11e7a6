import { ImportFileError } from './errors.js';
import { byteChunks, type ImportSource } from './import-source.js';

/** Default largest array element kept, in bytes (a real manifest entry is about 3.4 KiB). */
export const DEFAULT_MAX_ELEMENT_BYTES = 1024 * 1024;

/** One top-level element of a streamed JSON array. */
export type JsonArrayElement =
  /** The element's exact JSON text (not yet parsed: it may still be invalid JSON). */
  | { readonly kind: 'element'; readonly index: number; readonly offset: number; readonly text: string }
  /** The element was over the size limit: its bytes were dropped while scanning past it. */
  | { readonly kind: 'too_large'; readonly index: number; readonly offset: number; readonly size: number };

/** Options of {@link splitJsonArray}. */
export interface SplitJsonArrayOptions {
  /** Elements longer than this many bytes are reported as `too_large`, not kept. Default 1 MiB. */
  readonly maxElementBytes?: number;
}

// Scanner states (top level of the array).
const EXPECT_ARRAY = 0; // before '['
const EXPECT_FIRST = 1; // after '[': an element or ']'
const EXPECT_ELEMENT = 2; // after ',': an element
const IN_ELEMENT = 3;
const AFTER_ELEMENT = 4; // ',' or ']'
const DONE = 5; // after ']': only whitespace

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function describeByte(b: number): string {
  return b >= 0x21 && b <= 0x7e ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

function malformed(message: string, offset: number): ImportFileError {
  return new ImportFileError('malformed_file', `${message} at byte ${offset}`, { offset });
}

/**
 * Streams the top-level elements of a JSON array without holding more than one element (plus one
 * input chunk) in memory: a byte-level scanner tracks strings, escapes and bracket depth and cuts
 * the array at its top-level commas. Elements are not parsed here; an element with a syntax error
 * inside balanced brackets just fails its own `JSON.parse` later (a per-entry error).
 *
 * An element over `maxElementBytes` is dropped while the scanner keeps tracking its structure, so
 * the stream resynchronises at its end and a 10 MiB element costs no more memory than a small one.
 * A UTF-8 byte order mark is skipped.
 *
 * @throws ImportFileError `malformed_file` (with `details.offset`) when the input is not an array,
 *   has something other than `,`/`]` between elements, data after the array, or ends before the
 *   array does (truncated file, unterminated string) - always *after* yielding every element that
 *   was complete before that point.
 */
export async function* splitJsonArray(
  source: ImportSource,
  options: SplitJsonArrayOptions = {},
): AsyncGenerator<JsonArrayElement> {
  const maxBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  let state = EXPECT_ARRAY;
  let base = 0; // file offset of chunk[0]
  let index = 0; // index of the current / next element
  let bomBytes = 0; // how much of a UTF-8 byte order mark was seen at the very start

  // Current element.
  let elementOffset = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  let depth = 0;
  let inString = false;
  let escape = false;
  let scalar = false; // a bare number / true / false / null element

  for await (const chunk of byteChunks(source)) {
    let start = state === IN_ELEMENT ? 0 : -1; // where the current element starts in this chunk
    let nextBackslash = -2; // cached position of the next backslash in this chunk (-2: unknown)
    const n = chunk.length;
    let i = 0;
    const out: JsonArrayElement[] = [];

    const finish = (endExclusive: number): void => {
      const piece = chunk.subarray(start, endExclusive);
      size += piece.length;
      if (!tooLarge && size > maxBytes) tooLarge = true;
      if (tooLarge) {
        out.push({ kind: 'too_large', index, offset: elementOffset, size });
      } else {
        parts.push(piece);
        const text = (parts.length === 1 ? piece : Buffer.concat(parts, size)).toString('utf8');
        out.push({ kind: 'element', index, offset: elementOffset, text });
      }
      parts = [];
      size = 0;
      tooLarge = false;
      start = -1;
      index += 1;
    };

    while (i < n) {
      const b = chunk[i] as number;
      switch (state) {
        case IN_ELEMENT:
          if (inString) {
            if (escape) {
              escape = false;
              i += 1;
              break;
            }
            // Fast path: jump to the next quote or backslash.
            if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
            const quote = chunk.indexOf(QUOTE, i);
            if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
              escape = true;
              i = nextBackslash + 1;
              break;
            }
            if (quote === -1) {
              i = n;
              break;
            }
            inString = false;
            i = quote + 1;
            if (depth === 0 && !scalar) {
              finish(i); // a top-level string element ends with its closing quote
              state = AFTER_ELEMENT;
            }
            break;
          }
          if (b === QUOTE) {
            inString = true;
          } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
            depth += 1;
          } else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && depth > 0) {
            depth -= 1;
            if (depth === 0) {
              finish(i + 1);
              state = AFTER_ELEMENT;
            }
          } else if (depth === 0 && (b === COMMA || b === CLOSE_BRACKET || isWhitespace(b))) {
            finish(i); // end of a bare scalar: the delimiter belongs to the array
            state = AFTER_ELEMENT;
            continue; // re-read the delimiter in AFTER_ELEMENT
          }
          i += 1;
          break;
        case EXPECT_ARRAY:
          if (base + i === bomBytes && bomBytes < 3 && b === UTF8_BOM[bomBytes]) bomBytes += 1;
          else if (bomBytes === 1 || bomBytes === 2) throw malformed('not a JSON array: incomplete byte order mark', base + i);
          else if (b === OPEN_BRACKET) state = EXPECT_FIRST;
          else if (!isWhitespace(b)) throw malformed(`not a JSON array: expected '[' but found ${describeByte(b)}`, base + i);
          i += 1;
          break;
        case EXPECT_FIRST:
        case EXPECT_ELEMENT:
          if (isWhitespace(b)) {
            i += 1;
          } else if (b === CLOSE_BRACKET || b === COMMA) {
            if (state === EXPECT_FIRST && b === CLOSE_BRACKET) {
              state = DONE;
              i += 1;
            } else {
              for (const element of out) yield element;
              throw malformed(`missing array element ${index} (found ${describeByte(b)})`, base + i);
            }
          } else {
            state = IN_ELEMENT;
            start = i;
            elementOffset = base + i;
            depth = 0;
            inString = false;
            escape = false;
            scalar = false;
            if (b === OPEN_BRACE || b === OPEN_BRACKET) depth = 1;
            else if (b === QUOTE) inString = true;
            else scalar = true;
            i += 1;
          }
          break;
        case AFTER_ELEMENT:
          if (b === COMMA) state = EXPECT_ELEMENT;
          else if (b === CLOSE_BRACKET) state = DONE;
          else if (!isWhitespace(b)) {
            for (const element of out) yield element;
            throw malformed(`expected ',' or ']' after array element ${index - 1} but found ${describeByte(b)}`, base + i);
          }
          i += 1;
          break;
        default: // DONE
          if (!isWhitespace(b)) {
            for (const element of out) yield element;
            throw malformed(`unexpected ${describeByte(b)} after the end of the array`, base + i);
          }
          i += 1;
      }
    }
    // Keep the unfinished element's bytes of this chunk (unless it is already too large).
    if (state === IN_ELEMENT && start >= 0) {
      const piece = chunk.subarray(start);
      size += piece.length;
      if (size > maxBytes) tooLarge = true;
      if (tooLarge) parts = [];
      else parts.push(piece);
    }
    base += n;
    for (const element of out) yield element;
  }

  if (state === DONE) return;
  if (state === EXPECT_ARRAY) throw malformed('not a JSON array: the file is empty', base);
  if (state === IN_ELEMENT) {
    const where = inString ? 'inside a string of' : 'inside';
    throw malformed(`truncated file: it ends ${where} array element ${index} (which starts at byte ${elementOffset})`, base);
  }
  throw malformed(`truncated file: the array is not closed with ']' after ${index} element(s)`, base);
}
