import { describe, expect, it } from 'vitest';
import { AesKey } from './aes-key.js';
import { selectRootKeys } from './key-selection.js';
import { MAC_VERSIONS, type MacVersion } from './mac-version.js';
import { codeOf } from '../../test/support/thrown.js';

const appKey = AesKey.fromHex('A'.repeat(32));
const nwkKey = AesKey.fromHex('B'.repeat(32));
const versions10 = MAC_VERSIONS.filter((v) => v !== '1.1');

describe('selectRootKeys ("Which root key does what")', () => {
  it('covers every 1.0.x version', () => {
    expect(versions10).toEqual(['1.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4']);
  });

  it.each(versions10)('%s without NwkKey: AppKey on both sides', (version: MacVersion) => {
    const keys = selectRootKeys({ appKey, nwkKey: null }, version);
    expect(keys.network).toBe(appKey);
    expect(keys.application).toBe(appKey);
  });

  it.each(versions10)('%s with NwkKey: NwkKey on both sides, with or without AppKey', (version: MacVersion) => {
    for (const app of [appKey, null]) {
      const keys = selectRootKeys({ appKey: app, nwkKey }, version);
      expect(keys.network).toBe(nwkKey);
      expect(keys.application).toBe(nwkKey);
    }
  });

  it.each(versions10)('%s with neither key: missing_app_key', (version: MacVersion) => {
    expect(codeOf(() => selectRootKeys({ appKey: null, nwkKey: null }, version))).toBe('missing_app_key');
  });

  it('1.1 with both keys: NwkKey network, AppKey application', () => {
    const keys = selectRootKeys({ appKey, nwkKey }, '1.1');
    expect(keys.network).toBe(nwkKey);
    expect(keys.application).toBe(appKey);
  });

  it('1.1 without NwkKey: missing_nwk_key (with or without AppKey)', () => {
    expect(codeOf(() => selectRootKeys({ appKey, nwkKey: null }, '1.1'))).toBe('missing_nwk_key');
    expect(codeOf(() => selectRootKeys({ appKey: null, nwkKey: null }, '1.1'))).toBe('missing_nwk_key');
  });

  it('1.1 without AppKey: missing_app_key', () => {
    expect(codeOf(() => selectRootKeys({ appKey: null, nwkKey }, '1.1'))).toBe('missing_app_key');
  });
});
