import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Sealed } from '../devices/device.js';
import { KeyVaultError } from './errors.js';
import { isReloadable, type MasterKeyRing, type ReloadableMasterKeyRing } from './master-key-ring.js';
import { randomPool } from './random-pool.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v1.<keyId>.<iv>.<ciphertext||tag>`; iv is 12 bytes (16 base64url chars), the tag alone 22. */
const SEALED_FORMAT = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const KEY_ID_PREFIX = /^v1\.([0-9a-f]{16})\./;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Default of {@link SealerOptions.reloadIntervalMs}. */
export const DEFAULT_RELOAD_INTERVAL_MS = 1000;

/** Tuning of a {@link Sealer}. */
export interface SealerOptions {
  /**
   * For a reloadable ring (the key-ring file): how often, at most, `seal` checks whether the
   * file changed, and how often, at most, meeting an unknown key id makes `open` re-read it.
   * Default 1000 ms. 0 checks every time.
   */
  readonly reloadIntervalMs?: number;
}

/** True when unpadded base64url text has no stray bits in its last character (canonical). */
function canonicalBase64Url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1) return false;
  if (rest === 0) return true;
  const last = BASE64URL.indexOf(text.charAt(text.length - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

function corrupt(problem: string, context: string | undefined): KeyVaultError {
  return new KeyVaultError('sealed_value_corrupt', `sealed value ${problem}`, context === undefined ? undefined : { context });
}

/**
 * Encrypts values at rest: AES-256-GCM under the ring's active master key, a random 12-byte IV
 * per value, and the `context` (see `sealContext`) as associated data so a value only opens in
 * the row and field it was sealed for. Output: `v1.<keyId>.<base64url iv>.<base64url
 * ciphertext||tag>`. Errors never contain a sealed value or plaintext.
 *
 * Random IVs keep each master key safe for about 2^32 seals; rotate long before that. IVs come
 * from the process's random pool (`random-pool.ts`: the same CSPRNG as `randomBytes`, each byte used once).
 */
export class Sealer {
  readonly #ring: MasterKeyRing;
  readonly #reloadable: ReloadableMasterKeyRing | undefined;
  readonly #reloadIntervalMs: number;
  #lastCheck = -Infinity;
  #lastUnknownReload = -Infinity;

  constructor(ring: MasterKeyRing, options: SealerOptions = {}) {
    this.#ring = ring;
    this.#reloadable = isReloadable(ring) ? ring : undefined;
    this.#reloadIntervalMs = options.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
  }

  /** Id of the master key `seal` uses now. */
  get activeKeyId(): string {
    this.#checkForChanges();
    return this.#ring.activeKeyId;
  }

  /** Seals `plaintext` for `context` under the active master key. */
  seal(plaintext: Uint8Array, context: string): Sealed {
    this.#checkForChanges();
    const keyId = this.#ring.activeKeyId;
    const key = this.#ring.get(keyId);
    if (key === undefined) {
      throw new KeyVaultError('unknown_master_key', `the active master key ${keyId} is not in the key ring`, { keyId });
    }
    const iv = randomPool.bytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const head = cipher.update(plaintext);
    cipher.final(); // GCM is a stream mode: nothing is buffered
    const body = Buffer.concat([head, cipher.getAuthTag()]);
    head.fill(0);
    return `v1.${keyId}.${iv.toString('base64url')}.${body.toString('base64url')}` as Sealed;
  }

  /**
   * Opens a sealed value. Throws KeyVaultError `unknown_master_key` when its key is not in the
   * ring (after re-reading a reloadable ring once), `sealed_value_corrupt` when it is malformed
   * or fails authentication (tampered, or the wrong `context`). The caller owns the result and
   * should overwrite it (`fill(0)`) once done.
   */
  open(sealed: Sealed, context: string): Uint8Array {
    const match = SEALED_FORMAT.exec(sealed);
    const [, keyId, ivText, bodyText] = match ?? [];
    if (keyId === undefined || ivText === undefined || bodyText === undefined || !canonicalBase64Url(bodyText)) {
      throw corrupt('is malformed', context);
    }
    const key = this.#keyFor(keyId, context);
    const body = Buffer.from(bodyText, 'base64url');
    const tagAt = body.length - TAG_BYTES;
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(tagAt));
    const plaintext = decipher.update(body.subarray(0, tagAt));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      throw corrupt('failed authentication: it was altered, or belongs to another row or field', context);
    }
    return plaintext;
  }

  /** The id of the master key a value is sealed under. Throws `sealed_value_corrupt` if malformed. */
  keyIdOf(sealed: Sealed): string {
    const keyId = KEY_ID_PREFIX.exec(sealed)?.[1];
    if (keyId === undefined) throw corrupt('is malformed', undefined);
    return keyId;
  }

  /** True when the value is not sealed under the active master key. */
  needsReseal(sealed: Sealed): boolean {
    return this.keyIdOf(sealed) !== this.activeKeyId;
  }

  /**
   * Re-seals a value under the active master key; null when it already is (it is not opened
   * then). Throws like {@link open}.
   */
  reseal(sealed: Sealed, context: string): Sealed | null {
    if (!this.needsReseal(sealed)) return null;
    const plaintext = this.open(sealed, context);
    try {
      return this.seal(plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  #keyFor(keyId: string, context: string): Uint8Array {
    const key = this.#ring.get(keyId);
    if (key !== undefined) return key;
    const now = performance.now();
    if (this.#reloadable !== undefined && now - this.#lastUnknownReload >= this.#reloadIntervalMs) {
      this.#lastUnknownReload = now;
      this.#lastCheck = now;
      this.#reloadable.reload();
      const reloaded = this.#ring.get(keyId);
      if (reloaded !== undefined) return reloaded;
    }
    throw new KeyVaultError(
      'unknown_master_key',
      `sealed value is under master key ${keyId}, which is not in the key ring (active key ${this.#ring.activeKeyId}); ` +
        'restore the key (DEED_MASTER_KEY_PREVIOUS or the key-ring file) to open it',
      { keyId, context },
    );
  }

  /** Picks up a changed key-ring file (e.g. a rotation run by another process) before sealing. */
  #checkForChanges(): void {
    if (this.#reloadable === undefined) return;
    const now = performance.now();
    if (now - this.#lastCheck < this.#reloadIntervalMs) return;
    this.#lastCheck = now;
    this.#reloadable.reload();
  }
}
