import { describe, expect, it } from 'vitest';
import { DeedError } from '../shared/deed-error.js';
import * as lorawan from './index.js';

/** The runtime half of the public API other modules are written against. */
const EXPECTED_EXPORTS = [
  // mac-version.ts
  'MAC_VERSIONS', 'isMacVersion', 'isLorawan11', 'usesDevNonceCounter',
  // errors, hex, value types
  'LorawanError', 'parseHex', 'toHex', 'Eui64', 'NetId', 'DevAddr', 'AesKey',
  // primitives
  'aes128EncryptBlock', 'aes128EcbEncrypt', 'aes128EcbDecrypt', 'aesCmac', 'wrapKey', 'unwrapKey',
  // frames and keys
  'JOIN_REQUEST_BYTES', 'decodeJoinRequest', 'computeJoinRequestMic', 'verifyJoinRequestMic', 'encodeJoinRequest',
  'deriveSessionKeys10', 'deriveSessionKeys11', 'deriveJsIntKey', 'deriveJsEncKey', 'selectRootKeys',
  'DL_SETTINGS_OPT_NEG', 'JOIN_REQ_TYPE_JOIN_REQUEST', 'buildJoinAccept10', 'buildJoinAccept11', 'decodeJoinAccept',
  // tr005/ device QR codes
  'DEVICE_QR_FORMATS', 'MAX_DEVICE_QR_BYTES', 'parseDeviceQr', 'formatDeviceQr',
].sort();

describe('src/lorawan public API', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(lorawan).sort()).toEqual(EXPECTED_EXPORTS);
  });

  it('does not export internals', () => {
    const names: string[] = Object.keys(lorawan);
    for (const internal of ['borrowKeyBytes', 'FixedIdentifier', 'checkMhdr', 'asUint8Array', 'reversedCopy', 'readExtensions', 'invalidQr']) {
      expect(names).not.toContain(internal);
    }
  });

  it('LorawanError is a DeedError with a stable code and a name', () => {
    const error = new lorawan.LorawanError('invalid_hex', 'DevEUI must be a hex string');
    expect(error).toBeInstanceOf(DeedError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_hex');
    expect(error.name).toBe('LorawanError');
    expect(error.message).toBe('DevEUI must be a hex string');
  });

  it('re-exports mac-version helpers', () => {
    expect(lorawan.isMacVersion('1.0.4')).toBe(true);
    expect(lorawan.isLorawan11('1.1')).toBe(true);
  });
});
