import { JoinServerError } from '../../../joinserver/index.js';
import type { Mutable } from '../../../shared/mutable.js';
import type { BiProtocolVersion } from './bi-result-code.js';

/** The header every BI message carries. */
export interface BiHeader {
  readonly ProtocolVersion: BiProtocolVersion;
  readonly TransactionID: number;
  readonly MessageType: string;
  readonly SenderID: string;
  readonly ReceiverID: string;
  readonly SenderNSID?: string;
  readonly ReceiverNSID?: string;
  readonly SenderToken?: string;
  readonly ReceiverToken?: string;
}

/** A parsed message: its header as far as it could be read, and the whole body. */
export interface BiEnvelope {
  readonly header: BiHeader;
  readonly body: Readonly<Record<string, unknown>>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Reads the envelope. Returns null when the body is not a JSON object at all (a plain HTTP 400);
 * otherwise a header good enough to answer with, and a list of header problems (a Malformed answer).
 */
export function readEnvelope(raw: string): { envelope: BiEnvelope; problem: string | null } | null {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return null;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const version = b['ProtocolVersion'];
  if (version !== '1.0' && version !== '1.1') problems.push('ProtocolVersion must be "1.0" or "1.1"');
  const tid = b['TransactionID'];
  const tidOk = typeof tid === 'number' && Number.isInteger(tid) && tid >= 0 && tid <= 0xffffffff;
  if (!tidOk) problems.push('TransactionID must be an unsigned 32-bit integer');
  for (const field of ['MessageType', 'SenderID', 'ReceiverID']) {
    if (typeof b[field] !== 'string' || b[field] === '') problems.push(`${field} must be a non-empty string`);
  }
  const header: Mutable<BiHeader> = {
    ProtocolVersion: version === '1.1' ? '1.1' : '1.0',
    TransactionID: tidOk ? (tid as number) : 0,
    MessageType: str(b['MessageType']) ?? '',
    SenderID: str(b['SenderID']) ?? '',
    ReceiverID: str(b['ReceiverID']) ?? '',
  };
  // Assigned one by one, not spread from temporary objects: see `answerHeader`.
  for (const field of OPTIONAL_HEADER_FIELDS) {
    const v = b[field];
    if (typeof v === 'string' && v !== '') header[field] = v;
  }
  return { envelope: { header, body: b }, problem: problems.length === 0 ? null : problems.join('; ') };
}

const OPTIONAL_HEADER_FIELDS = ['SenderNSID', 'ReceiverNSID', 'SenderToken', 'ReceiverToken'] as const;

/**
 * The answer's header: the request's, with Sender and Receiver swapped. The caller may add the
 * answer's fields to the object returned.
 *
 * Built by assignment, not with conditional spreads (`...(x ? { a } : {})`): on the join path the
 * spreads' objects outlived two young-generation collections and were promoted to the old
 * generation, about 0.5 MB per collection per worker (`--trace-gc-nvp`, docs/performance.md).
 */
export function answerHeader(request: BiHeader, messageType: string): Record<string, unknown> {
  const header: Record<string, unknown> = {
    ProtocolVersion: request.ProtocolVersion,
    TransactionID: request.TransactionID,
    MessageType: messageType,
    SenderID: request.ReceiverID,
    ReceiverID: request.SenderID,
  };
  if (request.ReceiverNSID !== undefined) header['SenderNSID'] = request.ReceiverNSID;
  if (request.SenderNSID !== undefined) header['ReceiverNSID'] = request.SenderNSID;
  if (request.SenderToken !== undefined) header['ReceiverToken'] = request.SenderToken;
  return header;
}

/** Reads a required field, or throws a Malformed answer naming it. */
export function requireField(body: Readonly<Record<string, unknown>>, field: string): unknown {
  const v = body[field];
  if (v === undefined || v === null) throw new JoinServerError('malformed_message', `${field} is missing`);
  return v;
}
