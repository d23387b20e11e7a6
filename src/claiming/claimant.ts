import type { AccountRecord } from '../accounts/account.js';
import type { PeerRecord } from '../peers/peer.js';

/**
 * Who claims: an account (owner, or admin) through the REST API, CLI or console; or a claim
 * client, an Application Server peer speaking The Things Join Server claim API, which claims
 * into the application it was registered with.
 */
export type Claimant =
  | { readonly kind: 'account'; readonly account: AccountRecord }
  | { readonly kind: 'client'; readonly peer: PeerRecord };

/** The name the audit log records. */
export function claimantName(claimant: Claimant): string {
  return claimant.kind === 'account' ? claimant.account.username : claimant.peer.id;
}

/** The attempt-limiter key of the claimant. */
export function claimantKey(claimant: Claimant): string {
  return claimant.kind === 'account' ? `account:${claimant.account.id}` : `client:${claimant.peer.id}`;
}
