/**
 * Deed's LoRaWAN core: pure protocol code (value types, AES, AES-CMAC, key derivation,
 * JoinRequest / JoinAccept frames, RFC 3394 key wrap). No I/O. This file is the public API.
 */
export * from './mac-version.js';
export { LorawanError, type LorawanErrorCode } from './errors.js';
export { parseHex, toHex } from './hex.js';
export { Eui64 } from './eui64.js';
export { NetId } from './net-id.js';
export { DevAddr } from './dev-addr.js';
export { AesKey } from './aes-key.js';
export { aes128EncryptBlock, aes128EcbEncrypt, aes128EcbDecrypt } from './aes.js';
export { aesCmac } from './aes-cmac.js';
export {
  type JoinRequest,
  JOIN_REQUEST_BYTES,
  decodeJoinRequest,
  computeJoinRequestMic,
  verifyJoinRequestMic,
  encodeJoinRequest,
} from './join-request.js';
export {
  type SessionKeys10,
  type SessionKeys11,
  deriveSessionKeys10,
  deriveSessionKeys11,
  deriveJsIntKey,
  deriveJsEncKey,
} from './session-keys.js';
export { type RootKeys, selectRootKeys } from './key-selection.js';
export {
  type JoinAcceptFields,
  type JoinAccept11Params,
  type DecodedJoinAccept,
  DL_SETTINGS_OPT_NEG,
  JOIN_REQ_TYPE_JOIN_REQUEST,
  buildJoinAccept10,
  buildJoinAccept11,
  decodeJoinAccept,
} from './join-accept.js';
export { wrapKey, unwrapKey } from './key-wrap.js';
export * from './tr005/index.js';
