import type { JoinServerErrorCode } from '../../../joinserver/index.js';

/** Backend Interfaces protocol versions Deed speaks. */
export type BiProtocolVersion = '1.0' | '1.1';

/** The one mapping of Join Server error codes to BI ResultCodes (TS002 and The Things Stack's choices). */
export function biResultCode(code: JoinServerErrorCode, version: BiProtocolVersion): string {
  switch (code) {
    case 'malformed_message': return version === '1.0' ? 'MalformedRequest' : 'MalformedMessage';
    case 'frame_size': return 'FrameSizeError';
    case 'mic_failed': return 'MICFailed';
    case 'unknown_dev_eui': return 'UnknownDevEUI';
    case 'activation_disallowed': return 'ActivationDisallowed';
    case 'join_req_failed': return 'JoinReqFailed';
    case 'unknown_sender': return 'UnknownSender';
    case 'other': return 'Other';
  }
}
