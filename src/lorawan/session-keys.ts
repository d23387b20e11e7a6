import { AES_BLOCK_BYTES, encryptBlocks } from './aes.js';
import { AesKey } from './aes-key.js';
import { assertIntegerInRange } from './errors.js';
import type { Eui64 } from './eui64.js';
import type { NetId } from './net-id.js';

/** Key type bytes (first byte of the derivation block), LoRaWAN 1.0.x and 1.1. */
const NWK_S_KEY = 0x01;
const F_NWK_S_INT_KEY = 0x01;
const APP_S_KEY = 0x02;
const S_NWK_S_INT_KEY = 0x03;
const NWK_S_ENC_KEY = 0x04;
const JS_ENC_KEY = 0x05;
const JS_INT_KEY = 0x06;

/** Session keys of a LoRaWAN 1.0.x join. */
export interface SessionKeys10 {
  readonly nwkSKey: AesKey;
  readonly appSKey: AesKey;
}

/** Session keys of a LoRaWAN 1.1 join. */
export interface SessionKeys11 {
  readonly fNwkSIntKey: AesKey;
  readonly sNwkSIntKey: AesKey;
  readonly nwkSEncKey: AesKey;
  readonly appSKey: AesKey;
}

function writeUintLe(target: Uint8Array, offset: number, value: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) target[offset + i] = (value >>> (8 * i)) & 0xff;
}

/** Splits ECB output into keys (copies), then zeroes the output and the input blocks. */
function toKeys(derived: Uint8Array, blocks: Uint8Array): AesKey[] {
  const keys: AesKey[] = [];
  for (let o = 0; o < derived.length; o += AES_BLOCK_BYTES) {
    keys.push(AesKey.fromBytes(derived.subarray(o, o + AES_BLOCK_BYTES)));
  }
  derived.fill(0);
  blocks.fill(0);
  return keys;
}

/**
 * LoRaWAN 1.0.x session keys: `aes(K, t | JoinNonce | NetID | DevNonce | pad16)` (all
 * little-endian), t = 0x01 NwkSKey, 0x02 AppSKey. Both come from ONE root key, the one
 * `selectRootKeys` returns for 1.0.x (NwkKey if the device has one, else AppKey).
 * @throws LorawanError `invalid_argument` when a nonce is out of range
 */
export function deriveSessionKeys10(
  rootKey: AesKey,
  p: { readonly joinNonce: number; readonly netId: NetId; readonly devNonce: number },
): SessionKeys10 {
  const joinNonce = assertIntegerInRange(p.joinNonce, 0, 0xffffff, 'JoinNonce');
  const devNonce = assertIntegerInRange(p.devNonce, 0, 0xffff, 'DevNonce');
  const blocks = new Uint8Array(2 * AES_BLOCK_BYTES);
  for (const [i, t] of [NWK_S_KEY, APP_S_KEY].entries()) {
    const o = i * AES_BLOCK_BYTES;
    blocks[o] = t;
    writeUintLe(blocks, o + 1, joinNonce, 3);
    p.netId.writeLittleEndian(blocks, o + 4);
    writeUintLe(blocks, o + 7, devNonce, 2);
  }
  const [nwkSKey, appSKey] = toKeys(encryptBlocks(rootKey, blocks), blocks);
  if (!nwkSKey || !appSKey) throw new Error('unreachable: two keys derived');
  return { nwkSKey, appSKey };
}

/**
 * LoRaWAN 1.1 session keys: `aes(K, t | JoinNonce | JoinEUI | DevNonce | pad16)` (all
 * little-endian); FNwkSIntKey (0x01), SNwkSIntKey (0x03), NwkSEncKey (0x04) from NwkKey,
 * AppSKey (0x02) from AppKey.
 * @throws LorawanError `invalid_argument` when a nonce is out of range
 */
export function deriveSessionKeys11(
  keys: { readonly nwkKey: AesKey; readonly appKey: AesKey },
  p: { readonly joinNonce: number; readonly joinEui: Eui64; readonly devNonce: number },
): SessionKeys11 {
  const joinNonce = assertIntegerInRange(p.joinNonce, 0, 0xffffff, 'JoinNonce');
  const devNonce = assertIntegerInRange(p.devNonce, 0, 0xffff, 'DevNonce');
  const types = [F_NWK_S_INT_KEY, S_NWK_S_INT_KEY, NWK_S_ENC_KEY, APP_S_KEY];
  const blocks = new Uint8Array(types.length * AES_BLOCK_BYTES);
  for (const [i, t] of types.entries()) {
    const o = i * AES_BLOCK_BYTES;
    blocks[o] = t;
    writeUintLe(blocks, o + 1, joinNonce, 3);
    p.joinEui.writeLittleEndian(blocks, o + 4);
    writeUintLe(blocks, o + 12, devNonce, 2);
  }
  const nwkBlocks = blocks.subarray(0, 3 * AES_BLOCK_BYTES);
  const appBlock = blocks.subarray(3 * AES_BLOCK_BYTES);
  const [fNwkSIntKey, sNwkSIntKey, nwkSEncKey] = toKeys(
    encryptBlocks(keys.nwkKey, nwkBlocks),
    nwkBlocks,
  );
  const [appSKey] = toKeys(encryptBlocks(keys.appKey, appBlock), appBlock);
  if (!fNwkSIntKey || !sNwkSIntKey || !nwkSEncKey || !appSKey) {
    throw new Error('unreachable: four keys derived');
  }
  return { fNwkSIntKey, sNwkSIntKey, nwkSEncKey, appSKey };
}

function deriveJsKey(type: number, nwkKey: AesKey, devEui: Eui64): AesKey {
  const block = new Uint8Array(AES_BLOCK_BYTES);
  block[0] = type;
  devEui.writeLittleEndian(block, 1);
  const [key] = toKeys(encryptBlocks(nwkKey, block), block);
  if (!key) throw new Error('unreachable: one key derived');
  return key;
}

/** LoRaWAN 1.1 JSIntKey = `aes(NwkKey, 0x06 | DevEUI(LE) | pad16)`: the JoinAccept MIC key. */
export function deriveJsIntKey(nwkKey: AesKey, devEui: Eui64): AesKey {
  return deriveJsKey(JS_INT_KEY, nwkKey, devEui);
}

/** LoRaWAN 1.1 JSEncKey = `aes(NwkKey, 0x05 | DevEUI(LE) | pad16)`: encrypts rejoin JoinAccepts. */
export function deriveJsEncKey(nwkKey: AesKey, devEui: Eui64): AesKey {
  return deriveJsKey(JS_ENC_KEY, nwkKey, devEui);
}
