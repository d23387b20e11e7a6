/**
 * One thread of the ECDSA ceiling (see ecdsa-ceiling.ts): verifies one fixed ES256 signature
 * (P-256, raw R‖S, SHA-256 over a manifest-entry-sized signing input) with node:crypto in a loop
 * for `durationMs`, exactly as the import verifies a manifest entry's JWS, and posts
 * `{ verifies, elapsedMs }` back.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const { durationMs, inputBytes } = workerData as { durationMs: number; inputBytes: number };
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const input = Buffer.alloc(inputBytes, 'eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9');
const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
const key = { key: publicKey, dsaEncoding: 'ieee-p1363' } as const;

// Warm up, then count whole verifications until the time is up (checking the clock every 32).
for (let i = 0; i < 200; i++) verify('sha256', input, key, signature);
let verifies = 0;
const started = performance.now();
let elapsedMs = 0;
while (elapsedMs < durationMs) {
  for (let i = 0; i < 32; i++) {
    if (!verify('sha256', input, key, signature)) throw new Error('the fixed signature did not verify');
  }
  verifies += 32;
  elapsedMs = performance.now() - started;
}
parentPort?.postMessage({ verifies, elapsedMs });
