import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, postgresRequired, type TestDatabase } from '../../test/support/postgres.js';
import { attemptKeys } from '../claiming/attempt-limiter.js';
import { createAttemptLimiter, DEFAULT_ATTEMPT_LIMITS, lockoutLadder } from './attempt-repository.js';
import { migrateToLatest } from './migrate-to-latest.js';
import { openDatabase } from './open-database.js';

/** On CI (postgresRequired) the PostgreSQL case runs, and fails, even when nothing answers. */
const withPostgres = postgresRequired || (await postgresAvailable());
const worker = fileURLToPath(new URL('./contract/attempt-worker.ts', import.meta.url));

/** Runs `contract/attempt-worker.ts` in a new Node process (with tsx). */
function runWorker(args: readonly string[]): Promise<{ done: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', worker, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`attempt worker failed: ${error.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { done: number });
    });
  });
}

/** Two processes record 40 failures each on one key; returns the row they leave. */
async function raceTwoProcesses(url: string, threshold: number): Promise<{ failures: number; lockouts: number } | undefined> {
  const handle = await openDatabase(url);
  try {
    await migrateToLatest(handle);
  } finally {
    await handle.close();
  }
  const startAt = String(Date.now() + 2_000);
  const args = [url, 'device:0004A310001FF9DA', '40', startAt, String(threshold)];
  await Promise.all([runWorker(args), runWorker(args)]);
  const after = await openDatabase(url);
  try {
    return await after.db.selectFrom('claim_attempts').select(['failures', 'lockouts']).executeTakeFirst();
  } finally {
    await after.close();
  }
}

describe('attemptKeys', () => {
  it('lists the device, the claimant and the source address, leaving out what is missing', () => {
    expect(attemptKeys({ devEui: '0004A310001FF9DA', claimant: 'account:a1', source: '::1' })).toEqual([
      'device:0004A310001FF9DA', 'account:a1', 'ip:::1',
    ]);
    expect(attemptKeys({ devEui: null, claimant: 'client:ns-1', source: '' })).toEqual(['client:ns-1']);
    expect(attemptKeys({ claimant: 'account:a1' })).toEqual(['account:a1']);
  });
});

describe('lockoutLadder', () => {
  it('doubles from the base up to the cap, which it ends on', () => {
    expect(lockoutLadder(DEFAULT_ATTEMPT_LIMITS)).toEqual([60, 120, 240, 480, 960, 1920, 3600]);
    expect(lockoutLadder({ lockoutSeconds: 100, lockoutMaxSeconds: 100 })).toEqual([100]);
    expect(lockoutLadder({ lockoutSeconds: 1, lockoutMaxSeconds: 2592000 })).toHaveLength(23);
  });
});

describe('createAttemptLimiter', () => {
  it('refuses limits that make no sense', async () => {
    const handle = await openDatabase(':memory:');
    try {
      expect(() => createAttemptLimiter(handle, { ...DEFAULT_ATTEMPT_LIMITS, maxFailuresDevice: 0 })).toThrow(/maxFailuresDevice/);
      expect(() => createAttemptLimiter(handle, { ...DEFAULT_ATTEMPT_LIMITS, lockoutSeconds: 1.5 })).toThrow(/lockoutSeconds/);
      expect(() => createAttemptLimiter(handle, { ...DEFAULT_ATTEMPT_LIMITS, lockoutMaxSeconds: 30 })).toThrow(/at least lockoutSeconds/);
    } finally {
      await handle.close();
    }
  });
});

describe('failures counted from two processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deed-attempts-'));
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const database of databases.splice(0)) await database.drop();
  });

  it('on one SQLite file', async () => {
    expect(await raceTwoProcesses(join(dir, 'count.db'), 1000)).toEqual({ failures: 80, lockouts: 0 });
    expect(await raceTwoProcesses(join(dir, 'lock.db'), 8)).toEqual({ failures: 0, lockouts: 10 });
  });

  it.runIf(withPostgres)('on one PostgreSQL database', async () => {
    const count = await createTestDatabase();
    databases.push(count);
    expect(await raceTwoProcesses(count.url, 1000)).toEqual({ failures: 80, lockouts: 0 });
    const lock = await createTestDatabase();
    databases.push(lock);
    expect(await raceTwoProcesses(lock.url, 8)).toEqual({ failures: 0, lockouts: 10 });
  });
});
