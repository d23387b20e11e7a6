/** Contract tests of the AuditLog. */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { NewAuditEvent } from '../../audit/audit-event.js';
import { GENESIS_HASH } from '../../audit/audit-event.js';
import { hashAuditEvent } from '../../audit/hash-chain.js';
import { createAuditRepository } from '../audit-repository.js';
import type { ContractContext } from './contract-context.js';
import { at, fixtures } from './fixtures.js';

/** Registers the AuditLog tests. */
export function describeAuditContract(ctx: ContractContext): void {
  describe('audit log', () => {
    const event = (n: number, overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
      at: at(n),
      actor: 'admin',
      action: 'device.created',
      devEui: fixtures.eui(n % 3),
      outcome: 'success',
      details: { joinEui: '70B3D57ED0000000', n },
      ...overrides,
    });

    it('appends a hash chain starting at seq 1 and 64 zeros, and reads it back as written', async () => {
      const first = await ctx.stores.audit.append(event(1, { devEui: null, action: 'account.created', details: { username: 'amy' } }));
      const second = await ctx.stores.audit.append(event(2, { outcome: 'failure' }));
      expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: at(1), devEui: null, details: { username: 'amy' } });
      expect(first.hash).toBe(hashAuditEvent(first));
      expect(second).toMatchObject({ seq: 2, prevHash: first.hash, outcome: 'failure' });
      expect(await ctx.stores.audit.list({ limit: 10 })).toEqual([first, second]);
      expect(await ctx.stores.audit.verify()).toEqual({ ok: true, count: 2, headHash: second.hash });
    });

    it('fills in the time when the event has none', async () => {
      const { at: _ignored, ...untimed } = event(1);
      const before = Date.now();
      const appended = await ctx.stores.audit.append(untimed);
      expect(appended.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect((await ctx.stores.audit.list({ limit: 1 }))[0]?.at).toEqual(appended.at);
    });

    it('lists by device, after a seq, up to a limit, in seq order', async () => {
      for (let n = 1; n <= 9; n++) await ctx.stores.audit.append(event(n));
      const device = fixtures.eui(1);
      expect((await ctx.stores.audit.list({ devEui: device, limit: 10 })).map((e) => e.seq)).toEqual([1, 4, 7]);
      expect((await ctx.stores.audit.list({ devEui: device, afterSeq: 1, limit: 1 })).map((e) => e.seq)).toEqual([4]);
      expect((await ctx.stores.audit.list({ afterSeq: 6, limit: 10 })).map((e) => e.seq)).toEqual([7, 8, 9]);
      expect(await ctx.stores.audit.list({ devEui: fixtures.eui(99), limit: 10 })).toEqual([]);
    });

    it('refuses details that name secrets, and records nothing', async () => {
      await expect(ctx.stores.audit.append(event(1, { details: { appKey: '00'.repeat(16) } }))).rejects.toThrow(/secret/);
      expect(await ctx.stores.audit.list({ limit: 10 })).toEqual([]);
    });

    it('keeps 50 concurrent appends in one gap-free chain', async () => {
      const appended = await Promise.all(Array.from({ length: 50 }, (_, n) => ctx.stores.audit.append(event(n))));
      expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 50 });
    });

    it('keeps concurrent appends through two connections in one chain', async () => {
      // A second repository over the same handle still serializes through the database lock.
      const other = createAuditRepository(ctx.handle);
      await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? ctx.stores.audit : other).append(event(n))));
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: true, count: 20 });
    });

    it('verifies in batches', async () => {
      const small = createAuditRepository(ctx.handle, { verifyBatchSize: 3 });
      for (let n = 1; n <= 10; n++) await small.append(event(n));
      expect(await small.verify()).toMatchObject({ ok: true, count: 10 });
      await sql`update audit_events set actor = 'mallory' where seq = 8`.execute(ctx.handle.db);
      expect(await small.verify()).toMatchObject({ ok: false, firstBadSeq: 8 });
    });

    it('reports the seq of a row whose details were edited in the database', async () => {
      for (let n = 1; n <= 5; n++) await ctx.stores.audit.append(event(n));
      await sql`update audit_events set details = ${JSON.stringify({ joinEui: '70B3D57ED0000000', n: 42 })} where seq = 3`.execute(ctx.handle.db);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: false, firstBadSeq: 3 });
    });

    it('reports a deleted row and a row that does not parse', async () => {
      for (let n = 1; n <= 5; n++) await ctx.stores.audit.append(event(n));
      await sql`update audit_events set details = ${'not json'} where seq = 4`.execute(ctx.handle.db);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: false, firstBadSeq: 4 });
      await sql`delete from audit_events where seq = 2`.execute(ctx.handle.db);
      expect(await ctx.stores.audit.verify()).toMatchObject({ ok: false, firstBadSeq: 2 });
    });

    it('is empty and valid at first', async () => {
      expect(await ctx.stores.audit.verify()).toEqual({ ok: true, count: 0, headHash: GENESIS_HASH });
    });
  });
}
