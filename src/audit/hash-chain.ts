import { createHash } from 'node:crypto';
import { type AuditEvent, GENESIS_HASH } from './audit-event.js';

/** The fields a hash covers: every field of an event except `hash`. */
export type HashedAuditFields = Omit<AuditEvent, 'hash'>;

/**
 * The canonical serialization of an event (docs/audit.md): the JSON text, without spaces, of
 * the object `{action, actor, at, details, devEui, outcome, prevHash, seq}` with its keys, and
 * the keys of `details`, in ascending code-unit order; `at` is ISO 8601 UTC with milliseconds
 * (`2026-01-02T03:04:05.678Z`), `devEui` a string or null, `seq` an integer.
 */
export function canonicalAuditJson(event: HashedAuditFields): string {
  const details: Record<string, unknown> = {};
  for (const key of Object.keys(event.details).sort()) details[key] = event.details[key];
  return JSON.stringify({
    action: event.action,
    actor: event.actor,
    at: event.at.toISOString(),
    details,
    devEui: event.devEui,
    outcome: event.outcome,
    prevHash: event.prevHash,
    seq: event.seq,
  });
}

/** SHA-256 (lower-case hex) of the UTF-8 bytes of {@link canonicalAuditJson}. */
export function hashAuditEvent(event: HashedAuditFields): string {
  return createHash('sha256').update(canonicalAuditJson(event), 'utf8').digest('hex');
}

/** Where a chain (or a part of it) continues from: the last good event, or the genesis. */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/** The start of every chain. */
export const CHAIN_START: ChainPosition = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/** What {@link verifyChain} finds. */
export type ChainCheck =
  | { readonly ok: true; readonly last: ChainPosition }
  | { readonly ok: false; readonly firstBadSeq: number; readonly reason: string };

/**
 * Checks consecutive events continuing from `from` (the genesis by default): each must have
 * seq one more than the previous (a deleted or reordered row breaks this), prevHash equal to
 * the previous hash, and a hash that recomputes (an edited row breaks this). Call it batch
 * after batch, passing the previous batch's `last`.
 */
export function verifyChain(events: Iterable<AuditEvent>, from: ChainPosition = CHAIN_START): ChainCheck {
  let last = from;
  for (const event of events) {
    const expected = last.seq + 1;
    if (event.seq !== expected) {
      return { ok: false, firstBadSeq: expected, reason: `expected seq ${expected}, found ${event.seq}: an event is missing or out of order` };
    }
    if (event.prevHash !== last.hash) {
      return { ok: false, firstBadSeq: event.seq, reason: `prevHash does not match the hash of event ${last.seq}` };
    }
    if (hashAuditEvent(event) !== event.hash) {
      return { ok: false, firstBadSeq: event.seq, reason: 'the hash does not match the content: the event was changed' };
    }
    last = { seq: event.seq, hash: event.hash };
  }
  return { ok: true, last };
}

/** Builds the event that follows `previous` (the genesis when null). */
export function chainEvent(previous: ChainPosition | null, fields: Omit<HashedAuditFields, 'seq' | 'prevHash'>): AuditEvent {
  const prev = previous ?? CHAIN_START;
  const unhashed: HashedAuditFields = { ...fields, seq: prev.seq + 1, prevHash: prev.hash };
  return { ...unhashed, hash: hashAuditEvent(unhashed) };
}
