import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * What the import readers read: chunks of bytes or text from a `fs.createReadStream`, an HTTP
 * request body, an async generator, or an array; or one whole string. Text is UTF-8 encoded.
 */
export type ImportSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Readable | string;

/** Largest chunk handed to a parser: bigger ones are cut (views, no copy) to bound per-chunk work. */
export const MAX_CHUNK_BYTES = 64 * 1024;

function* slices(buf: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < buf.length; offset += MAX_CHUNK_BYTES) yield buf.subarray(offset, offset + MAX_CHUNK_BYTES);
}

/**
 * The source as Buffers of at most {@link MAX_CHUNK_BYTES} (strings UTF-8 encoded; empty chunks
 * dropped), so a reader never has more than one such slice's worth of entries pending.
 */
export async function* byteChunks(source: ImportSource): AsyncGenerator<Buffer> {
  if (typeof source === 'string') {
    yield* slices(Buffer.from(source, 'utf8'));
    return;
  }
  for await (const chunk of source as AsyncIterable<unknown>) {
    let buf: Buffer;
    if (typeof chunk === 'string') buf = Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) buf = chunk;
    else if (chunk instanceof Uint8Array) buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else throw new TypeError('import source must yield Uint8Array or string chunks');
    yield* slices(buf);
  }
}

/** A source wrapped to hash every byte that passes through it; see {@link hashedSource}. */
export interface HashedSource {
  /** Pass this to a reader instead of the original source. */
  readonly source: AsyncIterable<Buffer>;
  /** Bytes read so far. */
  bytes(): number;
  /** Lower-case hex SHA-256 of the bytes read so far (the whole file once the reader finished). */
  sha256(): string;
}

/**
 * Wraps a source so the caller can record which file produced the imported devices (SHA-256 and
 * size) without reading it twice. Call `sha256()` after the reader's loop ended.
 */
export function hashedSource(source: ImportSource): HashedSource {
  const hash = createHash('sha256');
  let total = 0;
  async function* tap(): AsyncGenerator<Buffer> {
    for await (const chunk of byteChunks(source)) {
      hash.update(chunk);
      total += chunk.length;
      yield chunk;
    }
  }
  return {
    source: tap(),
    bytes: () => total,
    sha256: () => hash.copy().digest('hex'),
  };
}
