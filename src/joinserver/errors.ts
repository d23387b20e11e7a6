import { DeedError } from '../shared/deed-error.js';

/**
 * Why a Backend Interfaces request failed. Each code maps to exactly one BI ResultCode in
 * transport/http/bi-result-code.ts. Messages are safe to send to the peer: no key material.
 */
export type JoinServerErrorCode =
  | 'malformed_message'
  | 'frame_size'
  | 'mic_failed'
  | 'unknown_dev_eui'
  | 'activation_disallowed'
  | 'join_req_failed'
  | 'unknown_sender'
  | 'other';

export class JoinServerError extends DeedError {
  constructor(
    override readonly code: JoinServerErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'JoinServerError';
  }
}
