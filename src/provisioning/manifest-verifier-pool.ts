/**
 * Microchip manifest entries verified on several cores. Each entry costs two ECDSA P-256
 * verifications (its JWS and its device certificate), which is nearly all of an import's CPU: on
 * one thread they cap an import at half a core's verification rate. This reader splits the file on
 * the calling thread (as {@link readMicrochipManifest} does), hands the entries' text in small
 * chunks to a pool of worker threads that parse and verify them ({@link verifyManifestEntry}),
 * and yields the results in file order, so the caller can write one batch to the database while
 * the workers verify the next.
 *
 * This module is also the workers' entry point (see the end of the file).
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CompactDuplicateFilter } from './compact-duplicate-filter.js';
import { rejected, type ImportItem } from './import-entry.js';
import type { ImportSource } from './import-source.js';
import { DEFAULT_MAX_ELEMENT_BYTES, splitJsonArray, type JsonArrayElement } from './json-array-splitter.js';
import { readMicrochipManifest, verifyManifestEntry, type ReadManifestOptions } from './microchip-manifest.js';
import { TrustedSigners } from './trusted-signers.js';

/** Options of {@link readMicrochipManifestInParallel}. */
export interface ParallelManifestOptions extends ReadManifestOptions {
  /** Worker threads; default {@link defaultVerifyThreads}. 0 verifies on the calling thread. */
  readonly threads?: number;
  /** Files with at most this many entries (and under 256 K characters) are verified on the calling thread, starting no worker. Default 32. */
  readonly inlineEntries?: number;
}

/**
 * Worker threads by default: one per core but one, at least one, at most three. The calling
 * thread stays busy too (it splits the file and writes the database, about as much CPU per
 * entry as verifying it), so more verifiers would only wait; and each costs 15-25 MB.
 */
export function defaultVerifyThreads(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, 3));
}

/** A verifier needs little memory: keep its heap small (a manifest entry is at most 1 MiB by default). */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/** Entries per message to a worker (fewer when they are big: see CHUNK_CHARS). */
const CHUNK_ENTRIES = 32;
/** A chunk is sent once its entries' text reaches this many characters (a real entry is about 3,400). */
const CHUNK_CHARS = 256 * 1024;
/**
 * Chunks handed out but not yet yielded, per worker (1,024 entries): enough for a worker to keep
 * verifying while the caller writes a batch of 250 to the database. 6 chunks gave 10-15 % fewer
 * entries/s in bench:import.
 */
const CHUNKS_IN_FLIGHT_PER_WORKER = 32;
/** Text handed out but not yet yielded, in characters: bounds memory when entries are big (up to 1 MiB each). */
const MAX_CHARS_IN_FLIGHT = 8 * 1024 * 1024;
const WORKER_ROLE = 'deed-manifest-verifier';

/** What the main thread sends a worker: the text of consecutive entries. */
interface VerifyRequest {
  readonly id: number;
  readonly entries: readonly { readonly index: number; readonly offset: number; readonly text: string }[];
}

/** What a worker answers: one item per entry of the request, in its order. */
type VerifyAnswer = { readonly id: number; readonly items: ImportItem[] } | { readonly id: number; readonly error: string };

/** One entry, as the workers and {@link readMicrochipManifest} judge it. */
function verifyElement(index: number, offset: number, text: string, signers: TrustedSigners): ImportItem {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return rejected(index, 'malformed_entry', `entry at byte ${offset} is not valid JSON`);
  }
  return verifyManifestEntry(raw, index, signers);
}

function tooLarge(element: Extract<JsonArrayElement, { kind: 'too_large' }>, maxBytes: number): ImportItem {
  return rejected(element.index, 'entry_too_large', `entry at byte ${element.offset} is ${element.size} bytes, over the ${maxBytes}-byte limit; skipped`);
}

/** The PEM texts of a signer set, to rebuild it in a worker. */
function signerPems(signers: TrustedSigners): string[] {
  return signers.kids().flatMap((kid) => {
    const signer = signers.get(kid);
    return signer === undefined ? [] : [signer.certificate.toString()];
  });
}

/**
 * Starts a worker running this module. From the compiled JavaScript it is this very file; from
 * the TypeScript sources (tests) the worker first registers tsx, a development dependency.
 */
function startWorker(pems: readonly string[]): Worker {
  const options = { workerData: { role: WORKER_ROLE, pems }, resourceLimits: WORKER_LIMITS };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(import.meta.url), options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Worker threads verifying chunks of entries; each chunk's answer is a promise. */
class VerifierPool {
  readonly #workers: { worker: Worker; pending: Map<number, { resolve(items: ImportItem[]): void; reject(error: Error): void }> }[];
  #nextId = 0;
  #failure: Error | undefined;

  constructor(threads: number, pems: readonly string[]) {
    this.#workers = Array.from({ length: threads }, () => {
      const slot = { worker: startWorker(pems), pending: new Map<number, { resolve(items: ImportItem[]): void; reject(error: Error): void }>() };
      slot.worker.unref(); // referenced only while it has work: an abandoned import never holds the process
      slot.worker.on('message', (answer: VerifyAnswer) => {
        const waiter = slot.pending.get(answer.id);
        slot.pending.delete(answer.id);
        if (slot.pending.size === 0) slot.worker.unref();
        if ('error' in answer) waiter?.reject(new Error(`manifest verifier: ${answer.error}`));
        else waiter?.resolve(answer.items);
      });
      const fail = (error: Error) => {
        this.#failure ??= error;
        for (const waiter of slot.pending.values()) waiter.reject(error);
        slot.pending.clear();
      };
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`manifest verifier thread exited (${code})`)));
      return slot;
    });
  }

  /** Verifies `entries` on the least busy worker. */
  verify(entries: VerifyRequest['entries']): Promise<ImportItem[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const slot = this.#workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, entries } satisfies VerifyRequest);
    });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('manifest verifier pool closed');
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }
}

/** A chunk in file order: items known at once (too large) and the worker's answer for the rest. */
interface Chunk {
  readonly slots: (ImportItem | null)[];
  readonly verified: Promise<ImportItem[]>;
  readonly chars: number;
}

/**
 * Same contract as {@link readMicrochipManifest} (one {@link ImportItem} per element, in file
 * order; bad entries are items; `duplicate` within the file; ImportFileError after every entry
 * complete before the problem), with the entries verified on `threads` worker threads. Small
 * files (see `inlineEntries`) are verified on the calling thread, and `threads: 0` reads with
 * {@link readMicrochipManifest} itself. At most 8 M characters of entries are handed out at a
 * time. The workers stop when the file ends, fails, or the caller stops iterating.
 */
export async function* readMicrochipManifestInParallel(
  source: ImportSource,
  signers: TrustedSigners,
  options: ParallelManifestOptions = {},
): AsyncGenerator<ImportItem> {
  const threads = options.threads ?? defaultVerifyThreads();
  if (threads <= 0) {
    yield* readMicrochipManifest(source, signers, options);
    return;
  }
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  const inlineEntries = options.inlineEntries ?? CHUNK_ENTRIES;
  const duplicates = new CompactDuplicateFilter();
  const chunks: Chunk[] = [];
  let pool: VerifierPool | undefined;
  let slots: (ImportItem | null)[] = [];
  let texts: { index: number; offset: number; text: string }[] = [];
  let chars = 0; // of `texts`
  let charsInFlight = 0; // of `chunks`
  // Entries read before the pool starts: verified here if the file turns out small.
  let early: JsonArrayElement[] = [];
  let earlyChars = 0;

  const dispatch = (): void => {
    if (slots.length === 0) return;
    const verified = texts.length === 0 || pool === undefined ? Promise.resolve([]) : pool.verify(texts);
    verified.catch(() => undefined); // awaited in order later; not an unhandled rejection meanwhile
    chunks.push({ slots, verified, chars });
    charsInFlight += chars;
    slots = [];
    texts = [];
    chars = 0;
  };
  const add = (element: JsonArrayElement): void => {
    if (element.kind === 'too_large') {
      slots.push(tooLarge(element, maxBytes));
    } else {
      slots.push(null);
      texts.push({ index: element.index, offset: element.offset, text: element.text });
      chars += element.text.length;
    }
    if (slots.length >= CHUNK_ENTRIES || chars >= CHUNK_CHARS) dispatch();
  };
  const busy = () => chunks.length >= threads * CHUNKS_IN_FLIGHT_PER_WORKER || charsInFlight >= MAX_CHARS_IN_FLIGHT;
  async function* oldest(): AsyncGenerator<ImportItem> {
    const chunk = chunks.shift();
    if (chunk === undefined) return;
    charsInFlight -= chunk.chars;
    const verified = await chunk.verified;
    let next = 0;
    for (const slot of chunk.slots) yield duplicates.check(slot ?? (verified[next++] as ImportItem));
  }
  const inline = function* (elements: readonly JsonArrayElement[]): Generator<ImportItem> {
    for (const element of elements) {
      yield duplicates.check(element.kind === 'too_large' ? tooLarge(element, maxBytes) : verifyElement(element.index, element.offset, element.text, signers));
    }
  };

  try {
    try {
      for await (const element of splitJsonArray(source, { maxElementBytes: maxBytes })) {
        if (pool === undefined) {
          early.push(element);
          earlyChars += element.kind === 'element' ? element.text.length : 0;
          if (early.length <= inlineEntries && earlyChars < CHUNK_CHARS) continue;
          pool = new VerifierPool(threads, signerPems(signers));
          for (const e of early) add(e);
          early = [];
        } else {
          add(element);
        }
        while (busy()) yield* oldest();
      }
    } catch (error) {
      // The file broke off: everything complete before that point first, then the error.
      yield* inline(early);
      dispatch();
      while (chunks.length > 0) yield* oldest();
      throw error;
    }
    yield* inline(early);
    dispatch();
    while (chunks.length > 0) yield* oldest();
  } finally {
    await pool?.close();
  }
}

// The worker side: verify what the main thread sends, with the signers it was started with.
if (!isMainThread && parentPort !== null && (workerData as { role?: unknown } | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const signers = TrustedSigners.fromPems((workerData as { pems: string[] }).pems);
  port.on('message', (request: VerifyRequest) => {
    try {
      port.postMessage({ id: request.id, items: request.entries.map((e) => verifyElement(e.index, e.offset, e.text, signers)) } satisfies VerifyAnswer);
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message } satisfies VerifyAnswer);
    }
  });
}
