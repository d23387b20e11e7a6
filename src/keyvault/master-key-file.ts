import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readFileSync,
  statSync,
  type Stats,
} from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyVaultError } from './errors.js';
import { MASTER_KEY_BYTES, RedactedKeyRing, masterKeyIdOf, type ReloadableMasterKeyRing } from './master-key-ring.js';

/** Name of the key-ring file inside the data directory. */
export const MASTER_KEY_FILE_NAME = 'master-keys.json';

/** Path of the key-ring file for a data directory. */
export function masterKeyFilePath(dataDir: string): string {
  return join(dataDir, MASTER_KEY_FILE_NAME);
}

/** One key of the key-ring file. */
export interface StoredMasterKey {
  readonly id: string;
  readonly key: Uint8Array;
  readonly createdAt: Date;
}

/** The key-ring file's content, checked. */
export interface StoredKeyRing {
  readonly active: string;
  readonly keys: readonly StoredMasterKey[];
}

/** What the file looks like on disk. */
interface KeyRingFileJson {
  active: string;
  keys: { id: string; key: string; createdAt: string }[];
}

const checkPermissions = process.platform !== 'win32';

/** Identifies one version of the file, to tell cheaply whether it changed. */
function signatureOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

function invalid(path: string, problem: string): KeyVaultError {
  return new KeyVaultError('master_key_file_invalid', `master key file ${path}: ${problem}`, { path });
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/** Decodes standard base64 of exactly 32 bytes, or returns undefined. */
function decodeKey(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]{43}=?$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== MASTER_KEY_BYTES || bytes.toString('base64').slice(0, 43) !== value.slice(0, 43)) {
    return undefined;
  }
  return bytes;
}

/** Checks the parsed JSON; errors name the field, never a key. */
function parseKeyRing(path: string, text: string): StoredKeyRing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(path, 'not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(path, 'expected a JSON object');
  const { active, keys } = json as Record<string, unknown>;
  if (typeof active !== 'string') throw invalid(path, '"active" must be a key id');
  if (!Array.isArray(keys) || keys.length === 0) throw invalid(path, '"keys" must be a non-empty array');
  const seen = new Set<string>();
  const stored = keys.map((entry: unknown, i): StoredMasterKey => {
    if (typeof entry !== 'object' || entry === null) throw invalid(path, `keys[${i}] must be an object`);
    const { id, key, createdAt } = entry as Record<string, unknown>;
    const bytes = decodeKey(key);
    if (bytes === undefined) throw invalid(path, `keys[${i}].key must be the base64 encoding of ${MASTER_KEY_BYTES} bytes`);
    if (id !== masterKeyIdOf(bytes)) throw invalid(path, `keys[${i}].id does not match its key`);
    if (seen.has(id)) throw invalid(path, `key ${id} appears twice`);
    seen.add(id);
    const date = typeof createdAt === 'string' ? new Date(createdAt) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw invalid(path, `keys[${i}].createdAt must be an ISO 8601 date`);
    return { id, key: bytes, createdAt: date };
  });
  if (!seen.has(active)) throw invalid(path, `the active key ${active} is not among "keys"`);
  return { active, keys: stored };
}

/**
 * Reads and checks the key-ring file. Returns null when it does not exist. Refuses a file that
 * group or others may read or write (`master_key_file_insecure`).
 */
export function readKeyRingFile(path: string): { ring: StoredKeyRing; signature: string } | null {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw new KeyVaultError('master_key_file_invalid', `master key file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { path });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw invalid(path, 'not a regular file');
    if (checkPermissions && (stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new KeyVaultError(
        'master_key_file_insecure',
        `master key file ${path} has mode ${mode}: group and others must have no access; run \`chmod 600 ${path}\``,
        { path, mode },
      );
    }
    return { ring: parseKeyRing(path, readFileSync(fd, 'utf8')), signature: signatureOf(stats) };
  } finally {
    closeSync(fd);
  }
}

/** Like {@link readKeyRingFile}, but a missing file is an error (`master_key_file_missing`). */
export function readExistingKeyRingFile(path: string): { ring: StoredKeyRing; signature: string } {
  const read = readKeyRingFile(path);
  if (read === null) {
    throw new KeyVaultError('master_key_file_missing', `master key file ${path} does not exist`, { path });
  }
  return read;
}

function serialize(ring: StoredKeyRing): string {
  const json: KeyRingFileJson = {
    active: ring.active,
    keys: ring.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key).toString('base64'), createdAt: k.createdAt.toISOString() })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Makes a rename durable; some platforms cannot open or fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/**
 * Writes the key-ring file atomically with mode 0600: a temporary file in the same directory is
 * written, fsynced and then renamed over the file (or, with `exclusive`, hard-linked to the
 * file name, which fails if the file exists, so two processes starting at once cannot both
 * create a ring). Returns false only when `exclusive` and the file already exists.
 */
export async function writeKeyRingFile(path: string, ring: StoredKeyRing, options: { readonly exclusive: boolean }): Promise<boolean> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  let renamed = false;
  try {
    try {
      await handle.writeFile(serialize(ring), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!options.exclusive) {
      await rename(temp, path);
      renamed = true;
    } else {
      try {
        await link(temp, path);
      } catch (error) {
        if (isErrno(error, 'EEXIST')) return false;
        // Hard links unsupported here: fall back to check-then-rename.
        if (!isErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS')) throw error;
        if (readKeyRingFile(path) !== null) return false;
        await rename(temp, path);
        renamed = true;
      }
    }
    await syncDirectory(dir);
    return true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/**
 * The ring kept in `<dataDir>/master-keys.json`. `reload()` re-reads the file when it changed
 * (e.g. after `deed keys rotate` ran in another process); an unreadable or invalid file leaves
 * the keys in memory as they were and is reported through `log`.
 */
export class FileMasterKeyRing extends RedactedKeyRing implements ReloadableMasterKeyRing {
  readonly path: string;
  readonly #log: ((message: string) => void) | undefined;
  #signature: string;
  /** Last reload problem reported, so a broken file is reported once, not on every attempt. */
  #problem: string | undefined;

  private constructor(path: string, ring: StoredKeyRing, signature: string, log: ((message: string) => void) | undefined) {
    super(FileMasterKeyRing.keyMap(ring), ring.active);
    this.path = path;
    this.#signature = signature;
    this.#log = log;
  }

  /** Opens the ring in an existing file; throws KeyVaultError when missing, insecure or invalid. */
  static open(path: string, log?: (message: string) => void): FileMasterKeyRing {
    const { ring, signature } = readExistingKeyRingFile(path);
    return new FileMasterKeyRing(path, ring, signature, log);
  }

  reload(): boolean {
    try {
      if (signatureOf(statSync(this.path)) === this.#signature) return false;
      const { ring, signature } = readExistingKeyRingFile(this.path);
      this.#signature = signature;
      this.#problem = undefined;
      const before = `${this.activeKeyId}|${this.keyIds().join(',')}`;
      this.replace(FileMasterKeyRing.keyMap(ring), ring.active);
      const changed = before !== `${this.activeKeyId}|${this.keyIds().join(',')}`;
      if (changed) this.#log?.(`master key ring reloaded from ${this.path}: active ${this.activeKeyId}, keys ${this.keyIds().join(', ')}`);
      return changed;
    } catch (error) {
      const reason = error instanceof KeyVaultError ? error.message : `cannot read ${this.path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
      if (reason !== this.#problem) this.#log?.(`master key ring not reloaded, keeping the keys in memory: ${reason}`);
      this.#problem = reason;
      return false;
    }
  }

  private static keyMap(ring: StoredKeyRing): Map<string, Uint8Array> {
    return new Map(ring.keys.map((k) => [k.id, k.key]));
  }
}
