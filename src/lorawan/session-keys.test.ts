import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AesKey } from './aes-key.js';
import { LorawanError } from './errors.js';
import { Eui64 } from './eui64.js';
import { NetId } from './net-id.js';
import { deriveJsEncKey, deriveJsIntKey, deriveSessionKeys10, deriveSessionKeys11 } from './session-keys.js';

interface DerivationVectors {
  source: string;
  inputs: { key: string; devNonce: string; netId: string; joinNonce: string; joinEui: string; devEui: string };
  expected: Record<
    'appSKey11' | 'fNwkSIntKey' | 'sNwkSIntKey' | 'nwkSEncKey' | 'appSKey10' | 'nwkSKey10' | 'jsIntKey' | 'jsEncKey',
    string
  >;
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/lorawan-key-derivation.json', import.meta.url), 'utf8'),
) as DerivationVectors;
const { inputs, expected } = file;
const key = AesKey.fromHex(inputs.key);
const joinNonce = Number.parseInt(inputs.joinNonce, 16);
const devNonce = Number.parseInt(inputs.devNonce, 16);
const netId = NetId.fromHex(inputs.netId);
const joinEui = Eui64.fromHex(inputs.joinEui);
const devEui = Eui64.fromHex(inputs.devEui);

describe('session key derivation (test-vectors/lorawan-key-derivation.json)', () => {
  it('names its source and covers all eight vectors', () => {
    expect(file.source).toMatch(/The Things Stack/);
    expect(Object.keys(expected)).toHaveLength(8);
  });

  it('derives the LoRaWAN 1.0.x NwkSKey and AppSKey from one root key', () => {
    const keys = deriveSessionKeys10(key, { joinNonce, netId, devNonce });
    expect(keys.nwkSKey.unsafeHex()).toBe(expected.nwkSKey10);
    expect(keys.appSKey.unsafeHex()).toBe(expected.appSKey10);
  });

  it('derives the LoRaWAN 1.1 session keys', () => {
    const keys = deriveSessionKeys11({ nwkKey: key, appKey: key }, { joinNonce, joinEui, devNonce });
    expect(keys.fNwkSIntKey.unsafeHex()).toBe(expected.fNwkSIntKey);
    expect(keys.sNwkSIntKey.unsafeHex()).toBe(expected.sNwkSIntKey);
    expect(keys.nwkSEncKey.unsafeHex()).toBe(expected.nwkSEncKey);
    expect(keys.appSKey.unsafeHex()).toBe(expected.appSKey11);
  });

  it('derives JSIntKey and JSEncKey', () => {
    expect(deriveJsIntKey(key, devEui).unsafeHex()).toBe(expected.jsIntKey);
    expect(deriveJsEncKey(key, devEui).unsafeHex()).toBe(expected.jsEncKey);
  });
});

describe('session key derivation, roles and ranges', () => {
  const other = AesKey.fromHex('000102030405060708090A0B0C0D0E0F');

  it('uses NwkKey for the network keys and AppKey for AppSKey in 1.1', () => {
    const mixed = deriveSessionKeys11({ nwkKey: key, appKey: other }, { joinNonce, joinEui, devNonce });
    expect(mixed.fNwkSIntKey.unsafeHex()).toBe(expected.fNwkSIntKey);
    expect(mixed.sNwkSIntKey.unsafeHex()).toBe(expected.sNwkSIntKey);
    expect(mixed.nwkSEncKey.unsafeHex()).toBe(expected.nwkSEncKey);
    expect(mixed.appSKey.unsafeHex()).not.toBe(expected.appSKey11);
    const swapped = deriveSessionKeys11({ nwkKey: other, appKey: key }, { joinNonce, joinEui, devNonce });
    expect(swapped.appSKey.unsafeHex()).toBe(expected.appSKey11);
  });

  it('accepts the extremes of each nonce', () => {
    for (const [jn, dn] of [[0, 0], [0xffffff, 0xffff]] as const) {
      expect(() => deriveSessionKeys10(key, { joinNonce: jn, netId, devNonce: dn })).not.toThrow();
      expect(() => deriveSessionKeys11({ nwkKey: key, appKey: key }, { joinNonce: jn, joinEui, devNonce: dn })).not.toThrow();
    }
  });

  it('rejects out-of-range nonces with invalid_argument', () => {
    const bad: [number, number][] = [[-1, 0], [0x1000000, 0], [1.5, 0], [0, -1], [0, 0x10000], [0, Number.NaN]];
    for (const [jn, dn] of bad) {
      expect(() => deriveSessionKeys10(key, { joinNonce: jn, netId, devNonce: dn })).toThrow(LorawanError);
      expect(() => deriveSessionKeys11({ nwkKey: key, appKey: key }, { joinNonce: jn, joinEui, devNonce: dn })).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
    }
  });
});
