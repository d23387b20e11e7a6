import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { KeyVaultError } from './errors.js';

/** scrypt cost parameters used for new hashes: N = 2^15, r = 8, p = 1 (32 MiB, OWASP minimum). */
export const PASSWORD_HASH_PARAMS = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Upper bounds accepted from stored hashes, so a bad row cannot make a login use gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/** Memory scrypt needs (128·N·r for V plus 128·r·p for B), with headroom, as `maxmem`. */
function maxmemFor(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

function derive(password: string, salt: Uint8Array, keylen: number, N: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: maxmemFor(N, r, p) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/**
 * Hashes a password with scrypt (N=2^15, r=8, p=1, 16-byte random salt, 32-byte output) into
 * `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` (base64 without padding). The password is
 * NFKC-normalized first, so the same password typed on different systems verifies.
 */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = PASSWORD_HASH_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, N, r, p);
  return `scrypt$${N}$${r}$${p}$${b64(salt)}$${b64(hash)}`;
}

/** The cost parameters and parts of a stored hash. */
interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function invalidHash(problem: string): KeyVaultError {
  return new KeyVaultError('invalid_password_hash', `stored password hash ${problem}`);
}

function parseInteger(text: string | undefined, min: number, max: number, name: string): number {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) throw invalidHash(`has a malformed ${name}`);
  const value = Number(text);
  if (value < min || value > max) throw invalidHash(`has ${name} out of range`);
  return value;
}

function parseBase64(text: string | undefined, minBytes: number, maxBytes: number, name: string): Buffer {
  if (text === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalidHash(`has a malformed ${name}`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < minBytes || bytes.length > maxBytes) throw invalidHash(`has a ${name} of the wrong length`);
  return bytes;
}

function parseHash(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw invalidHash('is not in the form scrypt$N$r$p$salt$hash');
  const N = parseInteger(parts[1], 2, MAX_N, 'N');
  if ((N & (N - 1)) !== 0) throw invalidHash('has an N that is not a power of two');
  const r = parseInteger(parts[2], 1, MAX_R, 'r');
  const p = parseInteger(parts[3], 1, MAX_P, 'p');
  if (128 * N * r > MAX_MEMORY) throw invalidHash('has parameters that need more than 256 MiB');
  return { N, r, p, salt: parseBase64(parts[4], 8, 64, 'salt'), hash: parseBase64(parts[5], 16, 64, 'hash') };
}

/**
 * Checks a password against a hash from {@link hashPassword}, in constant time. Cost
 * parameters come from the stored string, so hashes made with older (or later, higher)
 * parameters keep verifying; see {@link passwordNeedsRehash}. Throws KeyVaultError
 * `invalid_password_hash` when `stored` is not such a hash (a data problem, not a wrong password).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { N, r, p, salt, hash } = parseHash(stored);
  const candidate = await derive(password, salt, hash.length, N, r, p);
  return timingSafeEqual(candidate, hash);
}

/** True when a stored hash uses weaker parameters than {@link PASSWORD_HASH_PARAMS} (re-hash at next login). */
export function passwordNeedsRehash(stored: string): boolean {
  const { N, r, p, hash, salt } = parseHash(stored);
  const current = PASSWORD_HASH_PARAMS;
  return N < current.N || r < current.r || p < current.p || hash.length < HASH_BYTES || salt.length < SALT_BYTES;
}
