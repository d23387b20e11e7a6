/** LoRaWAN MAC versions a Join Server meets, as Backend Interfaces spells them. */
export type MacVersion = '1.0' | '1.0.1' | '1.0.2' | '1.0.3' | '1.0.4' | '1.1';

export const MAC_VERSIONS: readonly MacVersion[] = ['1.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1'];

/** True for a string naming a supported MAC version. */
export function isMacVersion(value: unknown): value is MacVersion {
  return typeof value === 'string' && (MAC_VERSIONS as readonly string[]).includes(value);
}

/** LoRaWAN 1.1 key hierarchy (NwkKey + AppKey, four session keys). */
export function isLorawan11(version: MacVersion): boolean {
  return version === '1.1';
}

/** From 1.0.4 on, DevNonce is a counter that must increase; before, it is random. */
export function usesDevNonceCounter(version: MacVersion): boolean {
  return version === '1.0.4' || version === '1.1';
}
