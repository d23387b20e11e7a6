/**
 * Key vault: encryption at rest under master keys, master-key rotation, password and token
 * hashing, KEK parsing. Uses node:crypto only; no key material ever reaches a message.
 */
export { KeyVaultError, type KeyVaultErrorCode } from './errors.js';
export {
  MASTER_KEY_BYTES,
  createMasterKeyRing,
  isReloadable,
  masterKeyIdOf,
  type MasterKeyRing,
  type ReloadableMasterKeyRing,
} from './master-key-ring.js';
export { FileMasterKeyRing, MASTER_KEY_FILE_NAME, masterKeyFilePath } from './master-key-file.js';
export {
  addActiveKey,
  loadMasterKeyRing,
  parseMasterKey,
  parseMasterKeyList,
  retireInactiveKeys,
  type LoadMasterKeyRingOptions,
  type LoadedMasterKeyRing,
  type MasterKeySource,
} from './master-key-source.js';
export { DEFAULT_RELOAD_INTERVAL_MS, Sealer, type SealerOptions } from './sealer.js';
export { RandomPool, randomPool } from './random-pool.js';
export {
  DEFAULT_ROTATION_BATCH_SIZE,
  rotateMasterKey,
  runKeyRotation,
  type KeyRotationResult,
  type RotateMasterKeyDeps,
  type RotationProgress,
  type RunKeyRotationDeps,
} from './rotate-master-key.js';
export { PASSWORD_HASH_PARAMS, hashPassword, passwordNeedsRehash, verifyPassword } from './password-hash.js';
export { generatePassword, generateToken, hashToken } from './secret-token.js';
export { parseKek } from './kek.js';
export { sealContext } from './seal-context.js';
export type { SealedValueStore } from './sealed-value-store.js';
