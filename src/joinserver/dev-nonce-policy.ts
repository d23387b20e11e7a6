/** What the Join Server remembers of a device's DevNonces. */
export interface DevNonceState {
  readonly lastDevNonce: number | null;
  readonly usedDevNonces: readonly number[];
}

export interface DevNoncePolicy {
  /** DevNonce is a counter (LoRaWAN 1.0.4 and 1.1) rather than random. */
  readonly counter: boolean;
  /** The device resets its nonces (non-compliant): skip the checks, still record. */
  readonly resetsJoinNonces: boolean;
  /** How many used DevNonces to remember. */
  readonly historySize: number;
}

export type DevNonceCheck =
  | { readonly ok: true; readonly next: DevNonceState }
  | { readonly ok: false; readonly reason: string };

/**
 * The DevNonce rules of lorawan-join.md: a counter must increase (0 only before the first
 * join); a random nonce must not be in the remembered list. Pure: returns the next state.
 */
export function checkDevNonce(state: DevNonceState, devNonce: number, policy: DevNoncePolicy): DevNonceCheck {
  if (!policy.resetsJoinNonces) {
    if (policy.counter) {
      if (state.lastDevNonce !== null && devNonce <= state.lastDevNonce) {
        return { ok: false, reason: `DevNonce ${devNonce} is not greater than the last accepted DevNonce` };
      }
    } else if (state.usedDevNonces.includes(devNonce)) {
      return { ok: false, reason: `DevNonce ${devNonce} was already used` };
    }
  }
  const used = state.usedDevNonces.filter((n) => n !== devNonce);
  used.push(devNonce);
  const trimmed = used.length > policy.historySize ? used.slice(used.length - policy.historySize) : used;
  return { ok: true, next: { lastDevNonce: devNonce, usedDevNonces: trimmed } };
}
