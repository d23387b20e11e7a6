import { JoinServerError } from '../../../joinserver/index.js';
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
  const header: BiHeader = {
    ProtocolVersion: version === '1.1' ? '1.1' : '1.0',
    TransactionID: tidOk ? (tid as number) : 0,
    MessageType: str(b['MessageType']) ?? '',
    SenderID: str(b['SenderID']) ?? '',
    ReceiverID: str(b['ReceiverID']) ?? '',
    ...optional('SenderNSID', b), ...optional('ReceiverNSID', b),
    ...optional('SenderToken', b), ...optional('ReceiverToken', b),
  };
  return { envelope: { header, body: b }, problem: problems.length === 0 ? null : problems.join('; ') };
}

function optional(field: string, b: Record<string, unknown>): Record<string, string> {
  const v = b[field];
  return typeof v === 'string' && v !== '' ? { [field]: v } : {};
}

/** The answer's header: the request's, with Sender and Receiver swapped. */
export function answerHeader(request: BiHeader, messageType: string): Record<string, unknown> {
  return {
    ProtocolVersion: request.ProtocolVersion,
    TransactionID: request.TransactionID,
    MessageType: messageType,
    SenderID: request.ReceiverID,
    ReceiverID: request.SenderID,
    ...(request.ReceiverNSID !== undefined ? { SenderNSID: request.ReceiverNSID } : {}),
    ...(request.SenderNSID !== undefined ? { ReceiverNSID: request.SenderNSID } : {}),
    ...(request.SenderToken !== undefined ? { ReceiverToken: request.SenderToken } : {}),
  };
}

/** Reads a required field, or throws a Malformed answer naming it. */
export function requireField(body: Readonly<Record<string, unknown>>, field: string): unknown {
  const v = body[field];
  if (v === undefined || v === null) throw new JoinServerError('malformed_message', `${field} is missing`);
  return v;
}
