import { describe, expect, it } from 'vitest';
import { ImportFileError } from './errors.js';
import type { ImportItem } from './import-entry.js';
import { readJsonDevices, type ReadJsonOptions } from './json-import.js';

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

async function read(text: string, options?: ReadJsonOptions): Promise<{ items: ImportItem[]; error?: unknown }> {
  const items: ImportItem[] = [];
  try {
    // Small chunks: entries straddle chunk boundaries.
    const chunks = text.match(/[\s\S]{1,13}/g) ?? [];
    for await (const item of readJsonDevices(chunks, options)) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

const summary = (items: readonly ImportItem[]): string[] =>
  items.map((item) => (item.ok ? `${item.entry.index} ok ${item.entry.devEui}` : `${item.index} ${item.code}: ${item.reason}`));

describe('readJsonDevices', () => {
  it('reads devices with the CSV field names', async () => {
    const devices = [
      {
        dev_eui: '0004a30b001c0530',
        join_eui: '70B3D57ED0000000',
        app_key: APP_KEY,
        nwk_key: null,
        name: 'Sensor "1"',
        lorawan_version: 'MAC_V1_0_3',
        vendor_id: 0x42ff,
        vendor_profile_id: 'ff42',
        claim_authentication_code: 'ABC123',
        frequency_plan_id: 'EU_863_870',
      },
      { dev_eui: '0004A30B001C0531', app_eui: '70B3D57ED0000001' },
    ];
    const { items, error } = await read(JSON.stringify(devices, null, 2));
    expect(error).toBeUndefined();
    const [first, second] = items;
    if (!first?.ok || !second?.ok) throw new Error('expected two accepted entries');
    expect(first.entry).toMatchObject({
      index: 0,
      devEui: '0004A30B001C0530',
      joinEui: '70B3D57ED0000000',
      name: 'Sensor "1"',
      macVersion: '1.0.3',
      vendorId: '42FF',
      vendorProfileId: 'FF42',
      ownerToken: 'ABC123',
    });
    expect(first.entry.appKey?.unsafeHex()).toBe(APP_KEY);
    expect('nwkKey' in first.entry).toBe(false);
    expect(second.entry).toEqual({ index: 1, devEui: '0004A30B001C0531', joinEui: '70B3D57ED0000001' });
  });

  it('rejects wrongly typed fields and bad entries per entry, naming the field', async () => {
    const text = JSON.stringify([
      { dev_eui: 42, join_eui: '70B3D57ED0000000' },
      { dev_eui: '0004A30B001C0531', join_eui: ['70B3D57ED0000000'] },
      { dev_eui: '0004A30B001C0532', join_eui: '70B3D57ED0000000', app_key: { hex: APP_KEY } },
      { dev_eui: '0004A30B001C0533', join_eui: '70B3D57ED0000000', vendor_id: 70000 },
      { dev_eui: '0004A30B001C0534', join_eui: '70B3D57ED0000000', lorawan_version: 1.1 },
      { dev_eui: '0004A30B001C0535', join_eui: '70B3D57ED0000000', name: 'tab\there' },
      'a string',
      [{ dev_eui: '0004A30B001C0536' }],
      { DEV_EUI: '0004A30B001C0537', join_eui: '70B3D57ED0000000' },
      { dev_eui: '0004A30B001C0538', join_eui: '70B3D57ED0000000' },
      { dev_eui: '0004a30b001c0538', join_eui: '70B3D57ED0000000' },
    ]);
    const { items, error } = await read(text);
    expect(error).toBeUndefined();
    expect(summary(items).map((line) => line.replace(/ \(byte \d+\)/, ''))).toEqual([
      '0 invalid_field: entry 0: dev_eui must be a string, got number',
      '1 invalid_field: entry 1: join_eui must be a string, got array',
      '2 invalid_field: entry 2: app_key must be a string, got object',
      '3 invalid_field: entry 3: vendor_id must be an integer from 0 to 65535',
      '4 invalid_field: entry 4: lorawan_version must be a string, got number',
      '5 invalid_field: entry 5: name must be at most 255 characters, without control characters',
      '6 malformed_entry: entry 6: must be a JSON object',
      '7 malformed_entry: entry 7: must be a JSON object',
      '8 missing_field: entry 8: dev_eui is required',
      '9 ok 0004A30B001C0538',
      '10 duplicate: DevEUI 0004A30B001C0538 already appears in entry 9 of this file',
    ]);
    expect(JSON.stringify(items)).not.toContain(APP_KEY);
  });

  it('reports invalid JSON and over-large entries per entry, with their byte offset', async () => {
    const text = `[{"dev_eui":"0004A30B001C0530","join_eui":"70B3D57ED0000000"},{"dev_eui": nope},{"name":"${'n'.repeat(3000)}"}]`;
    const { items } = await read(text, { maxEntryBytes: 1000, defaultJoinEui: '70B3D57ED0000000' });
    expect(summary(items)).toEqual([
      '0 ok 0004A30B001C0530',
      `1 malformed_entry: entry 1 (byte ${text.indexOf('{"dev_eui": nope')}): not valid JSON`,
      `2 entry_too_large: entry 2 (byte ${text.indexOf('{"name"')}): 3011 bytes, over the 1000-byte limit; skipped`,
    ]);
  });

  it('fails the file for what is not an array and for truncation, after the complete entries', async () => {
    const truncated = await read('[{"dev_eui":"0004A30B001C0530","join_eui":"70B3D57ED0000000"},{"dev_eui":"0004');
    expect(truncated.items).toHaveLength(1);
    expect(truncated.error).toBeInstanceOf(ImportFileError);
    expect(truncated.error).toMatchObject({ code: 'malformed_file', details: { offset: 78 } });
    expect((truncated.error as Error).message).toBe(
      'truncated file: it ends inside a string of array element 1 (which starts at byte 62) at byte 78',
    );
    for (const text of ['{"dev_eui":"0004A30B001C0530"}', 'dev_eui\n0004A30B001C0530\n', '']) {
      const { items, error } = await read(text);
      expect(items).toEqual([]);
      expect(error).toMatchObject({ code: 'malformed_file', message: expect.stringMatching(/^not a JSON array/) });
    }
  });
});
