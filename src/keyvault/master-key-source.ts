import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { KeyVaultError } from './errors.js';
import {
  FileMasterKeyRing,
  masterKeyFilePath,
  readExistingKeyRingFile,
  readKeyRingFile,
  writeKeyRingFile,
  type StoredKeyRing,
} from './master-key-file.js';
import { MASTER_KEY_BYTES, createMasterKeyRing, masterKeyIdOf, type MasterKeyRing } from './master-key-ring.js';

/** Where the master keys came from: DEED_MASTER_KEY (+ _PREVIOUS) or `<dataDir>/master-keys.json`. */
export type MasterKeySource = 'env' | 'file';

/** Inputs of {@link loadMasterKeyRing}; the two keys come from config, already read. */
export interface LoadMasterKeyRingOptions {
  readonly dataDir: string;
  /** DEED_MASTER_KEY: 64 hex characters or base64 of 32 bytes. When set, the file is not used. */
  readonly masterKey?: string | undefined;
  /** DEED_MASTER_KEY_PREVIOUS: comma-separated older keys that can still open values. */
  readonly previousMasterKeys?: string | undefined;
  /** Receives operational notes (never key material). */
  readonly log?: ((message: string) => void) | undefined;
}

/** Result of {@link loadMasterKeyRing}. For `file`, `ring` is reloadable (see `isReloadable`). */
export interface LoadedMasterKeyRing {
  readonly ring: MasterKeyRing;
  readonly source: MasterKeySource;
  /** True when this call created the key-ring file with a fresh key. */
  readonly created: boolean;
}

const MASTER_KEY_FORMAT = `expected 64 hex characters or the base64 encoding of ${MASTER_KEY_BYTES} bytes (e.g. from \`openssl rand -hex 32\`)`;

/**
 * Parses one master key: 64 hex characters, or standard / URL-safe base64 (padding optional) of
 * exactly 32 bytes; surrounding whitespace is ignored. Errors name `what` and never echo the value.
 */
export function parseMasterKey(value: string, what: string): Uint8Array {
  const text = value.trim();
  if (text === '') throw new KeyVaultError('invalid_master_key', `${what}: is empty; ${MASTER_KEY_FORMAT}`, { setting: what });
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const normalized = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Buffer.from(normalized, 'base64');
    const canonical = bytes.toString('base64').replace(/=+$/, '') === normalized;
    if (canonical && bytes.length === MASTER_KEY_BYTES) return bytes;
    if (canonical && normalized.length % 4 !== 1) {
      throw new KeyVaultError('invalid_master_key', `${what}: decodes to ${bytes.length} bytes; ${MASTER_KEY_FORMAT}`, { setting: what });
    }
  }
  throw new KeyVaultError('invalid_master_key', `${what}: not a valid key; ${MASTER_KEY_FORMAT}`, { setting: what });
}

/** Parses a comma-separated list of master keys (empty entries are skipped). */
export function parseMasterKeyList(value: string, what: string): Uint8Array[] {
  const entries = value.split(',').map((entry) => entry.trim());
  const count = entries.filter((entry) => entry !== '').length;
  const keys: Uint8Array[] = [];
  let position = 0;
  for (const entry of entries) {
    if (entry === '') continue;
    position += 1;
    keys.push(parseMasterKey(entry, count > 1 ? `${what} (entry ${position} of ${count})` : what));
  }
  return keys;
}

function newStoredKey(): { id: string; key: Uint8Array; createdAt: Date } {
  const key = randomBytes(MASTER_KEY_BYTES);
  return { id: masterKeyIdOf(key), key, createdAt: new Date() };
}

/**
 * Loads the master key ring at boot.
 *
 * - With `masterKey` (DEED_MASTER_KEY): that key is active and `previousMasterKeys` are kept to
 *   open older values. Nothing is written to disk.
 * - Otherwise `<dataDir>/master-keys.json` is used, and created with a fresh random key (mode
 *   0600, written atomically) when it does not exist. A file group or others can access is
 *   refused. The returned ring re-reads the file when it changes.
 *
 * Throws KeyVaultError (`invalid_master_key`, `master_key_file_invalid`, `master_key_file_insecure`).
 */
export async function loadMasterKeyRing(options: LoadMasterKeyRingOptions): Promise<LoadedMasterKeyRing> {
  const { dataDir, masterKey, previousMasterKeys, log } = options;
  if (masterKey !== undefined) {
    const active = parseMasterKey(masterKey, 'DEED_MASTER_KEY');
    const previous = previousMasterKeys === undefined ? [] : parseMasterKeyList(previousMasterKeys, 'DEED_MASTER_KEY_PREVIOUS');
    const ring = createMasterKeyRing([active, ...previous]);
    const file = masterKeyFilePath(dataDir);
    if (existsSync(file)) {
      log?.(`DEED_MASTER_KEY is set, so ${file} is not used; values sealed under its keys open only if those keys are in DEED_MASTER_KEY_PREVIOUS`);
    }
    return { ring, source: 'env', created: false };
  }
  if (previousMasterKeys !== undefined && previousMasterKeys.trim() !== '') {
    throw new KeyVaultError(
      'invalid_master_key',
      'DEED_MASTER_KEY_PREVIOUS is set but DEED_MASTER_KEY is not: previous keys only apply to a key given in the environment',
      { setting: 'DEED_MASTER_KEY_PREVIOUS' },
    );
  }
  const path = masterKeyFilePath(dataDir);
  let created = false;
  if (readKeyRingFile(path) === null) {
    const key = newStoredKey();
    created = await writeKeyRingFile(path, { active: key.id, keys: [key] }, { exclusive: true });
    if (created) log?.(`created master key ring ${path} (key ${key.id}); back it up: sealed values cannot be opened without it`);
  }
  return { ring: FileMasterKeyRing.open(path, log), source: 'file', created };
}

/**
 * File source only: generates a new master key, makes it the active one and keeps the old keys
 * (they still open existing values until {@link retireInactiveKeys}). Returns the new key id.
 * Throws `master_key_file_missing` when the data directory has no key-ring file.
 */
export async function addActiveKey(dataDir: string): Promise<string> {
  const path = masterKeyFilePath(dataDir);
  const { ring } = readExistingKeyRingFile(path);
  const key = newStoredKey();
  const next: StoredKeyRing = { active: key.id, keys: [...ring.keys, key] };
  await writeKeyRingFile(path, next, { exclusive: false });
  return key.id;
}

/**
 * File source only: removes every key but the active one from the key-ring file. Only safe once
 * no stored value is sealed under them (see `runKeyRotation`). With `expectedActiveKeyId`,
 * refuses (`rotation_incomplete`) if another key became active meanwhile. Returns the removed ids.
 */
export async function retireInactiveKeys(dataDir: string, expectedActiveKeyId?: string): Promise<string[]> {
  const path = masterKeyFilePath(dataDir);
  const { ring } = readExistingKeyRingFile(path);
  if (expectedActiveKeyId !== undefined && ring.active !== expectedActiveKeyId) {
    throw new KeyVaultError(
      'rotation_incomplete',
      `the active master key changed from ${expectedActiveKeyId} to ${ring.active} during the rotation; nothing was retired, run it again`,
      { path, expectedActiveKeyId, activeKeyId: ring.active },
    );
  }
  const retired = ring.keys.filter((k) => k.id !== ring.active).map((k) => k.id);
  if (retired.length === 0) return [];
  await writeKeyRingFile(path, { active: ring.active, keys: ring.keys.filter((k) => k.id === ring.active) }, { exclusive: false });
  return retired;
}
