import { randomFillSync } from 'node:crypto';

/** Requests up to this many bytes are served from the pool; longer ones get their own call. */
const POOLED_MAX_BYTES = 64;
const POOL_BYTES = 8192;

/**
 * Cryptographically secure random bytes, from the same CSPRNG as `crypto.randomBytes` (OpenSSL's
 * RAND_bytes), filled 8 KiB at a time instead of one native call per request: a join needs
 * several small random values (the session key id, an IV per sealed key), and each
 * `randomBytes` call costs a few microseconds of call overhead. The approach of Node's own
 * `crypto.randomUUID`.
 *
 * Every byte is handed out once: a request gets its own range of the current pool, and a pool
 * that cannot serve a request is replaced by a new buffer (never refilled in place), so a value
 * already returned never changes and never overlaps another. Each process has its own pool
 * (cluster workers are separate processes, not copies of one).
 */
export class RandomPool {
  #pool: Buffer = Buffer.alloc(0);
  #offset = 0;

  /** `length` fresh random bytes (a view of the pool: the caller may keep or overwrite it). */
  bytes(length: number): Buffer {
    if (!Number.isInteger(length) || length < 0) throw new RangeError('length must be a non-negative integer');
    if (length > POOLED_MAX_BYTES) return randomFillSync(Buffer.allocUnsafe(length));
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
      this.#offset = 0;
    }
    const out = this.#pool.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
}

/** The process's pool, shared by the key vault and the Join Server's random source. */
export const randomPool = new RandomPool();
