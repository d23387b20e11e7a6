import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DevAddr } from './dev-addr.js';
import { Eui64 } from './eui64.js';
import { NetId } from './net-id.js';
import { codeOf } from '../../test/support/thrown.js';

const cases = [
  { name: 'Eui64', type: Eui64, hex: '0042004213424341', lower: '0x0042004213424341' },
  { name: 'NetId', type: NetId, hex: '020101', lower: '0x020101' },
  { name: 'DevAddr', type: DevAddr, hex: '26011BDA', lower: '26011bda' },
] as const;

describe.each(cases)('$name', ({ name, type, hex, lower }) => {
  const bytes = hex.length / 2;
  const be = Uint8Array.from(Buffer.from(hex, 'hex'));
  const le = be.slice().reverse();

  it('parses hex in written order and prints upper-case hex', () => {
    const id = type.fromHex(lower);
    expect(id.toHex()).toBe(hex);
    expect(String(id)).toBe(hex);
    expect(`${id}`).toBe(hex);
    expect(JSON.stringify({ id })).toBe(`{"id":"${hex}"}`);
    expect(inspect(id)).toBe(`${name}(${hex})`);
    expect(type.BYTES).toBe(bytes);
  });

  it('converts between byte orders', () => {
    const id = type.fromHex(hex);
    expect(id.toBigEndian()).toEqual(be);
    expect(id.toLittleEndian()).toEqual(le);
    expect(type.fromLittleEndian(le).toHex()).toBe(hex);
    expect(type.fromBigEndian(be).toHex()).toBe(hex);
    const target = new Uint8Array(bytes + 2);
    id.writeLittleEndian(target, 1);
    expect(target.subarray(1, 1 + bytes)).toEqual(le);
    expect(target[0]).toBe(0);
    expect(target[bytes + 1]).toBe(0);
  });

  it('is immutable: inputs and outputs are copies', () => {
    const input = be.slice();
    const id = type.fromBigEndian(input);
    input[0] = (input[0] ?? 0) ^ 0xff;
    expect(id.toHex()).toBe(hex);
    const leInput = Buffer.from(le); // a Buffer, whose slice() would alias
    const fromLe = type.fromLittleEndian(leInput);
    leInput[0] = (leInput[0] ?? 0) ^ 0xff;
    expect(fromLe.toHex()).toBe(hex);
    const out = id.toBigEndian();
    out[0] = (out[0] ?? 0) ^ 0xff;
    expect(id.toHex()).toBe(hex);
  });

  it('compares by value', () => {
    expect(type.fromHex(hex).equals(type.fromHex(lower))).toBe(true);
    const other = be.slice();
    other[bytes - 1] = (other[bytes - 1] ?? 0) ^ 1;
    expect(type.fromHex(hex).equals(type.fromBigEndian(other))).toBe(false);
  });

  it('rejects bad hex and wrong lengths', () => {
    expect(codeOf(() => type.fromHex(undefined))).toBe('invalid_hex');
    expect(codeOf(() => type.fromHex(`${hex}0`))).toBe('invalid_hex');
    expect(codeOf(() => type.fromHex(`${hex.slice(0, -1)}G`))).toBe('invalid_hex');
    expect(codeOf(() => type.fromHex(`${hex}00`))).toBe('invalid_length');
    expect(codeOf(() => type.fromHex(hex.slice(2)))).toBe('invalid_length');
    expect(codeOf(() => type.fromLittleEndian(new Uint8Array(bytes + 1)))).toBe('invalid_length');
    expect(codeOf(() => type.fromBigEndian(new Uint8Array(bytes - 1)))).toBe('invalid_length');
    expect(codeOf(() => type.fromBigEndian([1, 2, 3] as unknown as Uint8Array))).toBe('invalid_argument');
  });
});

describe('identifier types', () => {
  it('names the value in errors when asked', () => {
    expect(() => Eui64.fromHex('00', 'DevEUI')).toThrow(/DevEUI/);
  });

  it('never equals an identifier of another type', () => {
    const eui = Eui64.fromHex('0000000001020304');
    const addr = DevAddr.fromHex('01020304');
    expect(eui.equals(addr as unknown as Eui64)).toBe(false);
  });
});
