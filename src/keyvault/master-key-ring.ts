import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { KeyVaultError } from './errors.js';

/** Length in bytes of a master key (AES-256). */
export const MASTER_KEY_BYTES = 32;

/**
 * The master keys the key vault seals with (the active one) and opens with (all of them).
 * Keys are identified by {@link masterKeyIdOf}. Implementations never print a key:
 * `toString()`, `JSON.stringify()` and `util.inspect()` show key ids only.
 */
export interface MasterKeyRing {
  /** Id of the key new values are sealed under. */
  readonly activeKeyId: string;
  /** Ids of all keys in the ring, the active one included. */
  keyIds(): string[];
  /**
   * The key with this id, or undefined. The returned bytes belong to the ring: read them, never
   * modify or keep them.
   */
  get(keyId: string): Uint8Array | undefined;
}

/**
 * A ring whose keys live outside the process (the key-ring file) and may change while it runs,
 * e.g. after an offline `deed keys rotate`. The sealer calls `reload()` now and then.
 */
export interface ReloadableMasterKeyRing extends MasterKeyRing {
  /**
   * Re-reads the keys if their source changed. Synchronous and cheap when nothing changed.
   * Returns true when the ring changed. Never throws: on a bad source the ring keeps its keys.
   */
  reload(): boolean;
}

/** True when `ring` can re-read its keys. */
export function isReloadable(ring: MasterKeyRing): ring is ReloadableMasterKeyRing {
  return typeof (ring as Partial<ReloadableMasterKeyRing>).reload === 'function';
}

/** The id of a master key: the first 16 hex characters (lower-case) of SHA-256 of the key. */
export function masterKeyIdOf(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Checks and copies keys into the id → key map a ring holds, in order; duplicates are dropped. */
export function buildKeyMap(keys: Iterable<Uint8Array>): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  for (const key of keys) {
    if (key.length !== MASTER_KEY_BYTES) {
      throw new KeyVaultError('invalid_master_key', `a master key must be ${MASTER_KEY_BYTES} bytes`);
    }
    const id = masterKeyIdOf(key);
    if (!map.has(id)) map.set(id, Uint8Array.from(key));
  }
  return map;
}

/**
 * Base of ring implementations: holds the keys in private fields and redacts itself everywhere
 * it could be printed.
 */
export abstract class RedactedKeyRing implements MasterKeyRing {
  #keys: Map<string, Uint8Array>;
  #activeKeyId: string;

  protected constructor(keys: Map<string, Uint8Array>, activeKeyId: string) {
    this.#keys = keys;
    this.#activeKeyId = activeKeyId;
    RedactedKeyRing.check(keys, activeKeyId);
  }

  get activeKeyId(): string {
    return this.#activeKeyId;
  }

  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  get(keyId: string): Uint8Array | undefined {
    return this.#keys.get(keyId);
  }

  /** Swaps in a new set of keys (for rings that reload). */
  protected replace(keys: Map<string, Uint8Array>, activeKeyId: string): void {
    RedactedKeyRing.check(keys, activeKeyId);
    this.#keys = keys;
    this.#activeKeyId = activeKeyId;
  }

  toString(): string {
    return `MasterKeyRing(active=${this.#activeKeyId}, keys=[${this.keyIds().join(',')}])`;
  }

  toJSON(): { activeKeyId: string; keyIds: string[] } {
    return { activeKeyId: this.#activeKeyId, keyIds: this.keyIds() };
  }

  [inspect.custom](): string {
    return this.toString();
  }

  private static check(keys: Map<string, Uint8Array>, activeKeyId: string): void {
    if (!keys.has(activeKeyId)) {
      throw new KeyVaultError('invalid_master_key', `the active master key ${activeKeyId} is not in the ring`);
    }
  }
}

class StaticMasterKeyRing extends RedactedKeyRing {
  constructor(keys: Map<string, Uint8Array>, activeKeyId: string) {
    super(keys, activeKeyId);
  }
}

/**
 * A fixed ring of 32-byte keys (copied). The active key is `activeKeyId`, or the first key when
 * omitted. Used for keys from the environment and in tests.
 */
export function createMasterKeyRing(keys: readonly Uint8Array[], activeKeyId?: string): MasterKeyRing {
  const map = buildKeyMap(keys);
  const active = activeKeyId ?? map.keys().next().value;
  if (active === undefined) {
    throw new KeyVaultError('invalid_master_key', 'a master key ring needs at least one key');
  }
  return new StaticMasterKeyRing(map, active);
}
