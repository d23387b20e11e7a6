import { setTimeout as sleep } from 'node:timers/promises';
import { KeyVaultError } from './errors.js';
import { FileMasterKeyRing, masterKeyFilePath, readExistingKeyRingFile } from './master-key-file.js';
import { addActiveKey, loadMasterKeyRing, retireInactiveKeys, type MasterKeySource } from './master-key-source.js';
import type { SealedValueStore } from './sealed-value-store.js';
import { DEFAULT_RELOAD_INTERVAL_MS, Sealer } from './sealer.js';

/** Values re-sealed per storage transaction unless told otherwise. */
export const DEFAULT_ROTATION_BATCH_SIZE = 500;

/** Progress callback: counts so far in the current pass. Throwing from it aborts the pass. */
export type RotationProgress = (examined: number, resealed: number) => void;

/** Dependencies of {@link rotateMasterKey}. */
export interface RotateMasterKeyDeps {
  readonly store: SealedValueStore;
  readonly sealer: Sealer;
  readonly batchSize?: number;
  readonly onProgress?: RotationProgress;
}

/**
 * One pass over every sealed value: each value not under the sealer's active master key is
 * re-sealed under it (same context). Values already under the active key are skipped without
 * being opened, so an interrupted pass can simply be run again. A value that cannot be opened
 * (unknown key, corrupt) aborts the pass with that KeyVaultError, whose details name its context.
 */
export async function rotateMasterKey(deps: RotateMasterKeyDeps): Promise<{ examined: number; resealed: number }> {
  const { store, sealer, onProgress } = deps;
  const batchSize = deps.batchSize ?? DEFAULT_ROTATION_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new KeyVaultError('invalid_argument', 'batchSize must be a positive integer');
  }
  return store.resealAll((sealed, context) => sealer.reseal(sealed, context), {
    batchSize,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}

/** Dependencies of {@link runKeyRotation}. */
export interface RunKeyRotationDeps {
  readonly dataDir: string;
  readonly store: SealedValueStore;
  /** DEED_MASTER_KEY / DEED_MASTER_KEY_PREVIOUS as configured; with `masterKey` the env source is used. */
  readonly env?: { readonly masterKey?: string | undefined; readonly previousMasterKeys?: string | undefined };
  readonly onProgress?: RotationProgress;
  readonly batchSize?: number;
  readonly log?: (message: string) => void;
  /**
   * File source: how long after the new key was added the final verification pass may start, so
   * that servers sharing the data directory have noticed the new key (they re-check the file at
   * most every {@link DEFAULT_RELOAD_INTERVAL_MS} ms) and no longer seal under an old one.
   * Default twice that interval.
   */
  readonly settleMs?: number;
  /** File source: passes to try before giving up with `rotation_incomplete`. Default 5. */
  readonly maxPasses?: number;
}

/** Outcome of {@link runKeyRotation}. */
export interface KeyRotationResult {
  readonly source: MasterKeySource;
  readonly activeKeyId: string;
  /** True when this run generated the new active key (false when it resumed an earlier run). */
  readonly addedKey: boolean;
  /** Values seen by the largest pass, i.e. how many sealed values there are. */
  readonly examined: number;
  /** Values re-sealed, over all passes. */
  readonly resealed: number;
  /** Key ids removed from the key-ring file (always empty for the env source). */
  readonly retired: string[];
}

/**
 * Master-key rotation as `deed keys rotate` runs it.
 *
 * Env source (DEED_MASTER_KEY set): re-seals everything under DEED_MASTER_KEY, opening old
 * values with DEED_MASTER_KEY_PREVIOUS; retires nothing: the operator removes
 * DEED_MASTER_KEY_PREVIOUS afterwards.
 *
 * File source: (1) if the ring has one key, a new active key is added (with several keys an
 * earlier, interrupted run is resumed instead); (2) every value is re-sealed under the active key;
 * (3) once a pass that started after the settle time finds nothing left to re-seal, the
 * inactive keys are removed from the file. Safe to interrupt at any point and run again.
 */
export async function runKeyRotation(deps: RunKeyRotationDeps): Promise<KeyRotationResult> {
  const { dataDir, store, env, onProgress, batchSize, log } = deps;
  const passDeps = { store, ...(batchSize === undefined ? {} : { batchSize }), ...(onProgress === undefined ? {} : { onProgress }) };

  if (env?.masterKey !== undefined) {
    const { ring } = await loadMasterKeyRing({ dataDir, masterKey: env.masterKey, previousMasterKeys: env.previousMasterKeys, log });
    const sealer = new Sealer(ring);
    const { examined, resealed } = await rotateMasterKey({ ...passDeps, sealer });
    return { source: 'env', activeKeyId: ring.activeKeyId, addedKey: false, examined, resealed, retired: [] };
  }
  if (env?.previousMasterKeys !== undefined && env.previousMasterKeys.trim() !== '') {
    // Same refusal as at boot: previous keys without DEED_MASTER_KEY are a mistake.
    await loadMasterKeyRing({ dataDir, previousMasterKeys: env.previousMasterKeys });
  }

  const path = masterKeyFilePath(dataDir);
  let addedKey = false;
  if (readExistingKeyRingFile(path).ring.keys.length === 1) {
    const id = await addActiveKey(dataDir);
    addedKey = true;
    log?.(`added master key ${id} to ${path}; it is now the active key`);
  } else {
    log?.(`${path} already holds several keys: resuming an earlier rotation`);
  }
  const sealer = new Sealer(FileMasterKeyRing.open(path, log));
  const { ring: stored } = readExistingKeyRingFile(path);
  const activeCreatedAt = stored.keys.find((k) => k.id === stored.active)?.createdAt.getTime() ?? Date.now();
  const settleMs = deps.settleMs ?? 2 * DEFAULT_RELOAD_INTERVAL_MS;
  const settledAt = Math.min(activeCreatedAt + settleMs, Date.now() + settleMs);
  const maxPasses = deps.maxPasses ?? 5;

  let examined = 0;
  let resealed = 0;
  for (let pass = 1; pass <= maxPasses; pass += 1) {
    const startedAt = Date.now();
    const activeKeyId = sealer.activeKeyId;
    const result = await rotateMasterKey({ ...passDeps, sealer });
    examined = Math.max(examined, result.examined);
    resealed += result.resealed;
    if (result.resealed === 0 && startedAt >= settledAt && sealer.activeKeyId === activeKeyId) {
      // Every value was under `activeKeyId` when visited, and no server seals under an older key.
      const retired = await retireInactiveKeys(dataDir, activeKeyId);
      if (retired.length > 0) log?.(`retired master keys ${retired.join(', ')}`);
      return { source: 'file', activeKeyId, addedKey, examined, resealed, retired };
    }
    const wait = settledAt - Date.now();
    if (wait > 0) await sleep(wait);
  }
  throw new KeyVaultError(
    'rotation_incomplete',
    `values were still being sealed under an old master key after ${maxPasses} passes; nothing was retired. ` +
      'Is a server using another copy of the key ring? Run the rotation again once it has stopped or reloaded.',
    { activeKeyId: sealer.activeKeyId },
  );
}
