import { DeedError } from '../shared/deed-error.js';

/**
 * Claim errors with stable codes. Messages never say whether a token was close, nor whether a
 * device another tenant holds exists beyond what the claim API contract requires.
 *
 * - `claim_failed`: wrong or empty owner token, token outside its validity window, no token set.
 * - `device_not_provisioned`: no device with that DevEUI (and JoinEUI).
 * - `claim_locked`: the device is claimed and locked by another holder.
 * - `not_claimed`: status or release of a device that is not claimed.
 * - `not_holder`: status or release by someone who does not hold the device.
 * - `rate_limited`: too many failed attempts; `details.retryAfterSeconds` says how long to wait.
 * - `unknown_access_token`: a device announced a claim window with an access token Deed does not know.
 * - `already_claimed`: a device announced a claim window but it is owned already.
 * - `claiming_not_allowed`: a device announced a claim window but claiming is off for it.
 */
export type ClaimErrorCode =
  | 'claim_failed' | 'device_not_provisioned' | 'claim_locked' | 'not_claimed' | 'not_holder' | 'rate_limited'
  | 'unknown_access_token' | 'already_claimed' | 'claiming_not_allowed';

export class ClaimError extends DeedError {
  declare readonly code: ClaimErrorCode;

  constructor(code: ClaimErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, details);
    this.name = 'ClaimError';
  }
}

/** Too many failed attempts: wait `retryAfterSeconds`. */
export function rateLimited(retryAfterSeconds: number): ClaimError {
  return new ClaimError('rate_limited', `too many failed claim attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}
