import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyVaultError } from './errors.js';
import { masterKeyFilePath } from './master-key-file.js';
import { isReloadable, masterKeyIdOf } from './master-key-ring.js';
import { addActiveKey, loadMasterKeyRing, parseMasterKey, retireInactiveKeys } from './master-key-source.js';
import { Sealer } from './sealer.js';
import { rejectedWith, thrown } from '../../test/support/thrown.js';

const posix = process.platform !== 'win32';
let dataDir: string;

beforeEach(async () => {
  dataDir = join(await mkdtemp(join(tmpdir(), 'deed-keys-')), 'data');
});
afterEach(async () => {
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});


describe('key-ring file', () => {
  it('is created on first start with mode 0600 and reused afterwards', async () => {
    const notes: string[] = [];
    const first = await loadMasterKeyRing({ dataDir, log: (m) => notes.push(m) });
    expect(first).toMatchObject({ source: 'file', created: true });
    expect(first.ring.keyIds()).toEqual([first.ring.activeKeyId]);
    expect(first.ring.activeKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(isReloadable(first.ring)).toBe(true);
    expect(notes.join('\n')).toContain('created master key ring');
    const path = masterKeyFilePath(dataDir);
    if (posix) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    }
    const json = JSON.parse(await readFile(path, 'utf8')) as { active: string; keys: { id: string; key: string; createdAt: string }[] };
    expect(json.active).toBe(first.ring.activeKeyId);
    expect(json.keys).toHaveLength(1);
    expect(json.keys[0]?.id).toBe(masterKeyIdOf(Buffer.from(json.keys[0]?.key ?? '', 'base64')));
    expect(Number.isNaN(Date.parse(json.keys[0]?.createdAt ?? ''))).toBe(false);
    // No key material in the notes.
    expect(notes.join('\n')).not.toContain(json.keys[0]?.key);

    const second = await loadMasterKeyRing({ dataDir });
    expect(second).toMatchObject({ source: 'file', created: false });
    expect(second.ring.activeKeyId).toBe(first.ring.activeKeyId);
    expect(await readdir(dataDir)).toEqual(['master-keys.json']); // no temporary files left
  });

  it('creates one ring when two processes start at once', async () => {
    const [a, b] = await Promise.all([loadMasterKeyRing({ dataDir }), loadMasterKeyRing({ dataDir })]);
    expect(a.ring.activeKeyId).toBe(b.ring.activeKeyId);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
  });

  it.skipIf(!posix)('is refused when group or others can read it', async () => {
    await loadMasterKeyRing({ dataDir });
    const path = masterKeyFilePath(dataDir);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(path, mode);
      const error = await rejectedWith(KeyVaultError, loadMasterKeyRing({ dataDir }));
      expect(error.code).toBe('master_key_file_insecure');
      expect(error.message).toContain('chmod 600');
      expect(error.message).toContain(path);
    }
  });

  it('is refused when it is not a valid ring, without showing keys', async () => {
    await loadMasterKeyRing({ dataDir });
    const path = masterKeyFilePath(dataDir);
    const original = JSON.parse(await readFile(path, 'utf8')) as { active: string; keys: { id: string; key: string }[] };
    const key = original.keys[0]?.key ?? '';
    const cases: unknown[] = [
      'not json',
      [],
      { active: original.active, keys: [] },
      { active: 'ffffffffffffffff', keys: original.keys },
      { active: original.active, keys: [{ ...original.keys[0], id: 'ffffffffffffffff' }] },
      { active: original.active, keys: [{ ...original.keys[0], key: key.slice(0, 20) }] },
      { active: original.active, keys: [{ ...original.keys[0], createdAt: 'yesterday' }] },
      { active: original.active, keys: [original.keys[0], original.keys[0]] },
    ];
    for (const content of cases) {
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
      const error = await rejectedWith(KeyVaultError, loadMasterKeyRing({ dataDir }));
      expect(error.code).toBe('master_key_file_invalid');
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain(key.slice(0, 20));
    }
  });

  it('adds an active key, keeps the old one, and retires it', async () => {
    const { ring } = await loadMasterKeyRing({ dataDir });
    const oldId = ring.activeKeyId;
    const newId = await addActiveKey(dataDir);
    expect(newId).not.toBe(oldId);
    const reloaded = await loadMasterKeyRing({ dataDir });
    expect(reloaded.ring.activeKeyId).toBe(newId);
    expect(reloaded.ring.keyIds().sort()).toEqual([oldId, newId].sort());
    if (posix) expect((await stat(masterKeyFilePath(dataDir))).mode & 0o777).toBe(0o600);

    await expect(retireInactiveKeys(dataDir, oldId)).rejects.toMatchObject({ code: 'rotation_incomplete' });
    expect(await retireInactiveKeys(dataDir, newId)).toEqual([oldId]);
    expect(await retireInactiveKeys(dataDir)).toEqual([]);
    const after = await loadMasterKeyRing({ dataDir });
    expect(after.ring.keyIds()).toEqual([newId]);
    expect(await readdir(dataDir)).toEqual(['master-keys.json']);
  });

  it('needs an existing file to add or retire keys', async () => {
    expect((await rejectedWith(KeyVaultError, addActiveKey(dataDir))).code).toBe('master_key_file_missing');
    expect((await rejectedWith(KeyVaultError, retireInactiveKeys(dataDir))).code).toBe('master_key_file_missing');
  });

  it('lets a running server pick up a rotation done by another process', async () => {
    const server = await loadMasterKeyRing({ dataDir });
    const sealer = new Sealer(server.ring, { reloadIntervalMs: 0 });
    const context = 'device:0011223344556677:appKey';
    const before = sealer.seal(new Uint8Array([1, 2, 3]), context);

    // `deed keys rotate` in another process: a new active key, values re-sealed under it.
    const newId = await addActiveKey(dataDir);
    const rotator = new Sealer((await loadMasterKeyRing({ dataDir })).ring);
    const after = rotator.reseal(before, context);
    expect(after).not.toBeNull();

    // The server meets a value under a key id it does not know: it re-reads the file once.
    expect(Array.from(sealer.open(after as NonNullable<typeof after>, context))).toEqual([1, 2, 3]);
    expect(sealer.keyIdOf(sealer.seal(new Uint8Array([4]), context))).toBe(newId);
  });

  it('keeps its keys when the file turns bad while running', async () => {
    const logged: string[] = [];
    const { ring } = await loadMasterKeyRing({ dataDir, log: (m) => logged.push(m) });
    const id = ring.activeKeyId;
    await writeFile(masterKeyFilePath(dataDir), '{ broken', { mode: 0o600 });
    if (!isReloadable(ring)) throw new Error('expected a reloadable ring');
    expect(ring.reload()).toBe(false);
    expect(ring.reload()).toBe(false);
    expect(ring.activeKeyId).toBe(id);
    expect(logged.filter((m) => m.includes('not reloaded'))).toHaveLength(1);
  });
});

describe('DEED_MASTER_KEY', () => {
  const key = randomBytes(32);
  const hex = key.toString('hex');
  const base64 = key.toString('base64');

  it('accepts 64 hex characters and base64 of 32 bytes (standard, URL-safe, unpadded)', async () => {
    for (const value of [hex, hex.toUpperCase(), base64, base64.replace(/=$/, ''), key.toString('base64url'), ` ${hex}\n`]) {
      const loaded = await loadMasterKeyRing({ dataDir, masterKey: value });
      expect(loaded).toMatchObject({ source: 'env', created: false });
      expect(loaded.ring.activeKeyId).toBe(masterKeyIdOf(key));
    }
    await expect(stat(dataDir)).rejects.toThrow(); // nothing written
  });

  it('rejects other values with a message naming the variable but not the value', () => {
    const values = [
      hex.slice(0, 62),
      `${hex}00`,
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(16).toString('hex'),
      'correct horse battery staple',
      `${hex.slice(0, 63)}g`,
      `${base64.slice(0, 42)}B=`, // stray bits: not canonical base64
      '',
      '   ',
    ];
    for (const value of values) {
      const error = thrown(KeyVaultError, () => parseMasterKey(value, 'DEED_MASTER_KEY'));
      expect(error.code).toBe('invalid_master_key');
      expect(error.message.startsWith('DEED_MASTER_KEY: ')).toBe(true);
      if (value.trim() !== '') expect(error.message).not.toContain(value.trim());
      expect(JSON.stringify(error.details)).not.toContain(value.trim() || '\u0000');
    }
    expect(thrown(KeyVaultError, () => parseMasterKey(randomBytes(31).toString('base64'), 'DEED_MASTER_KEY')).message).toContain('decodes to 31 bytes');
  });

  it('rejects a bad key at load', async () => {
    const error = await rejectedWith(KeyVaultError, loadMasterKeyRing({ dataDir, masterKey: 'nope' }));
    expect(error.code).toBe('invalid_master_key');
    expect(error.message).toContain('DEED_MASTER_KEY');
  });

  it('adds DEED_MASTER_KEY_PREVIOUS keys that open old values', async () => {
    const old1 = randomBytes(32);
    const old2 = randomBytes(32);
    const context = 'peer:ns:000013:kek';
    const sealedOld = new Sealer((await loadMasterKeyRing({ dataDir, masterKey: old2.toString('base64') })).ring).seal(new Uint8Array([9]), context);
    const { ring } = await loadMasterKeyRing({
      dataDir,
      masterKey: hex,
      previousMasterKeys: `${old1.toString('hex')}, ${old2.toString('base64')},`,
    });
    expect(ring.activeKeyId).toBe(masterKeyIdOf(key));
    expect(ring.keyIds()).toEqual([masterKeyIdOf(key), masterKeyIdOf(old1), masterKeyIdOf(old2)]);
    expect(Array.from(new Sealer(ring).open(sealedOld, context))).toEqual([9]);
  });

  it('names the bad entry of DEED_MASTER_KEY_PREVIOUS', async () => {
    const error = await rejectedWith(KeyVaultError, loadMasterKeyRing({ dataDir, masterKey: hex, previousMasterKeys: `${hex},secret-garbage` }));
    expect(error.message).toContain('DEED_MASTER_KEY_PREVIOUS (entry 2 of 2)');
    expect(error.message).not.toContain('secret-garbage');
  });

  it('refuses DEED_MASTER_KEY_PREVIOUS without DEED_MASTER_KEY', async () => {
    const error = await rejectedWith(KeyVaultError, loadMasterKeyRing({ dataDir, previousMasterKeys: hex }));
    expect(error.code).toBe('invalid_master_key');
    expect(error.message).not.toContain(hex);
  });

  it('says when it shadows a key-ring file', async () => {
    await loadMasterKeyRing({ dataDir });
    const notes: string[] = [];
    await loadMasterKeyRing({ dataDir, masterKey: hex, log: (m) => notes.push(m) });
    expect(notes.join('\n')).toContain('is not used');
  });
});
