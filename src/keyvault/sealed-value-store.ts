import type { Sealed } from '../devices/device.js';

/**
 * Storage port used by master-key rotation: visits every sealed value in every table.
 * `reseal` returns the replacement, or null to leave the value as it is.
 */
export interface SealedValueStore {
  /**
   * Re-seals values in batches of `batchSize`. Each batch is written atomically, and a value is
   * replaced only if it is still the one that was read (a concurrent change wins). Safe to
   * interrupt and run again: values already re-sealed are skipped by `reseal` returning null.
   */
  resealAll(
    reseal: (sealed: Sealed, context: string) => Sealed | null,
    options: { readonly batchSize: number; readonly onProgress?: (examined: number, resealed: number) => void | Promise<void> },
  ): Promise<{ examined: number; resealed: number }>;
}
