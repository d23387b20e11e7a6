import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesKey } from './aes-key.js';
import { LorawanError } from './errors.js';
import { Eui64 } from './eui64.js';
import { parseHex } from './hex.js';
import {
  computeJoinRequestMic,
  decodeJoinRequest,
  encodeJoinRequest,
  verifyJoinRequestMic,
} from './join-request.js';
import { codeOf } from '../../test/support/thrown.js';

interface FrameVectors {
  source: string;
  key: string;
  joinRequestMic: {
    input: string;
    expected: string;
    fields: { joinEui: string; devEui: string; devNonce: number };
  };
}
const file = JSON.parse(
  readFileSync(new URL('../../test-vectors/lorawan-frames.json', import.meta.url), 'utf8'),
) as FrameVectors;
const h = (hex: string): Uint8Array => parseHex(hex.replace(/\s+/g, ''), null, 'vector');
const key = AesKey.fromHex(file.key);
const vector = file.joinRequestMic;
const frame = (): Uint8Array => {
  const out = new Uint8Array(23);
  out.set(h(vector.input));
  out.set(h(vector.expected), 19);
  return out;
};

describe('JoinRequest MIC (test-vectors/lorawan-frames.json)', () => {
  it('names its source', () => {
    expect(file.source).toMatch(/The Things Stack/);
  });

  it('computes the MIC of the vector', () => {
    expect(computeJoinRequestMic(key, h(vector.input))).toEqual(h(vector.expected));
  });

  it('decodes the vector frame and verifies its MIC', () => {
    const request = decodeJoinRequest(frame());
    expect(request.joinEui.toHex()).toBe(vector.fields.joinEui);
    expect(request.devEui.toHex()).toBe(vector.fields.devEui);
    expect(request.devNonce).toBe(vector.fields.devNonce);
    expect(request.mic).toEqual(h(vector.expected));
    expect(request.micPayload).toEqual(h(vector.input));
    expect(verifyJoinRequestMic(request, key)).toBe(true);
  });

  it('encodes the vector frame byte for byte', () => {
    const encoded = encodeJoinRequest(
      {
        joinEui: Eui64.fromHex(vector.fields.joinEui),
        devEui: Eui64.fromHex(vector.fields.devEui),
        devNonce: vector.fields.devNonce,
      },
      key,
    );
    expect(encoded).toEqual(frame());
  });
});

describe('decodeJoinRequest', () => {
  it('copies out of the input', () => {
    const input = frame();
    const request = decodeJoinRequest(input);
    input.fill(0xee);
    expect(request.mic).toEqual(h(vector.expected));
    expect(request.micPayload).toEqual(h(vector.input));
  });

  it('rejects a wrong MIC, a wrong key and any flipped bit', () => {
    const good = frame();
    expect(verifyJoinRequestMic(decodeJoinRequest(good), AesKey.fromBytes(randomBytes(16)))).toBe(false);
    for (let bit = 0; bit < 8 * 23; bit++) {
      const bad = good.slice();
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      if (bit < 8) continue; // MHDR bits change MType/RFU/Major: covered below
      expect(verifyJoinRequestMic(decodeJoinRequest(bad), key)).toBe(false);
    }
    const request = decodeJoinRequest(good);
    expect(verifyJoinRequestMic({ ...request, mic: request.mic.subarray(0, 3) }, key)).toBe(false);
  });

  it('rejects empty, truncated and oversized frames with frame_size', () => {
    expect(codeOf(() => decodeJoinRequest(new Uint8Array(0)))).toBe('frame_size');
    for (const length of [1, 5, 19, 22, 24, 33, 256]) {
      expect(codeOf(() => decodeJoinRequest(new Uint8Array(length)))).toBe('frame_size');
    }
    const oversized = new Uint8Array(24);
    oversized.set(frame());
    expect(codeOf(() => decodeJoinRequest(oversized))).toBe('frame_size');
  });

  it('rejects other MTypes with not_join_request and other Majors with unsupported_major', () => {
    for (let mtype = 1; mtype < 8; mtype++) {
      const bad = frame();
      bad[0] = mtype << 5;
      expect(codeOf(() => decodeJoinRequest(bad))).toBe('not_join_request');
    }
    for (let major = 1; major < 4; major++) {
      const bad = frame();
      bad[0] = major;
      expect(codeOf(() => decodeJoinRequest(bad))).toBe('unsupported_major');
    }
    const rfu = frame();
    rfu[0] = 0b00011100; // RFU bits are ignored by receivers
    expect(decodeJoinRequest(rfu).devNonce).toBe(vector.fields.devNonce);
  });

  it('never throws anything but a LorawanError on garbage', () => {
    for (let i = 0; i < 2000; i++) {
      const garbage = randomBytes(i % 40);
      try {
        const request = decodeJoinRequest(garbage);
        expect(verifyJoinRequestMic(request, key)).toBe(false);
      } catch (e) {
        expect(e).toBeInstanceOf(LorawanError);
      }
    }
    for (const input of [null, undefined, 'frame', [0, 1, 2], {}]) {
      expect(codeOf(() => decodeJoinRequest(input as unknown as Uint8Array))).toBe('invalid_argument');
    }
  });
});

describe('encodeJoinRequest / computeJoinRequestMic', () => {
  it('round-trips through decodeJoinRequest', () => {
    for (const devNonce of [0, 1, 0x1234, 0xffff]) {
      const fields = { joinEui: Eui64.fromBigEndian(randomBytes(8)), devEui: Eui64.fromBigEndian(randomBytes(8)), devNonce };
      const request = decodeJoinRequest(encodeJoinRequest(fields, key));
      expect(request.joinEui.equals(fields.joinEui)).toBe(true);
      expect(request.devEui.equals(fields.devEui)).toBe(true);
      expect(request.devNonce).toBe(devNonce);
      expect(verifyJoinRequestMic(request, key)).toBe(true);
    }
  });

  it('rejects bad DevNonce and MIC payload sizes', () => {
    const eui = Eui64.fromHex('0000000000000001');
    for (const devNonce of [-1, 0x10000, 1.5, Number.NaN]) {
      expect(codeOf(() => encodeJoinRequest({ joinEui: eui, devEui: eui, devNonce }, key))).toBe('invalid_argument');
    }
    expect(codeOf(() => computeJoinRequestMic(key, new Uint8Array(18)))).toBe('invalid_length');
    expect(codeOf(() => computeJoinRequestMic(key, new Uint8Array(23)))).toBe('invalid_length');
  });
});
