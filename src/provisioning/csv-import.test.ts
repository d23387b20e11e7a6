import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AesKey } from '../lorawan/index.js';
import { InvalidInputError } from '../shared/errors.js';
import { detectCsvDelimiter, readCsvDevices, type ReadCsvOptions } from './csv-import.js';
import { ImportFileError } from './errors.js';
import type { ImportItem, ImportRejected } from './import-entry.js';

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const NWK_KEY = '000102030405060708090A0B0C0D0E0F';

async function read(
  text: string | Buffer | readonly (string | Buffer)[],
  options?: ReadCsvOptions,
): Promise<{ items: ImportItem[]; error?: unknown }> {
  const chunks = typeof text === 'string' || Buffer.isBuffer(text) ? [text] : text;
  const items: ImportItem[] = [];
  try {
    for await (const item of readCsvDevices(Readable.from(chunks), options)) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

function rejection(item: ImportItem | undefined): ImportRejected {
  if (item === undefined || item.ok) throw new Error(`expected a rejection, got ${JSON.stringify(item)}`);
  return item;
}

describe('detectCsvDelimiter', () => {
  it('picks the separator of the header line, ignoring quoted text and later lines', () => {
    expect(detectCsvDelimiter(Buffer.from('dev_eui;join_eui;name\n1,2,3,4,5'))).toBe(';');
    expect(detectCsvDelimiter(Buffer.from('dev_eui,join_eui,"a;b;c"\n'))).toBe(',');
    expect(detectCsvDelimiter(Buffer.from('"x,y,z";dev_eui\r\n'))).toBe(';');
    expect(detectCsvDelimiter(Buffer.from('dev_eui\n'))).toBe(',');
  });
});

describe('readCsvDevices', () => {
  it('reads The Things Stack CSV with either separator, case-insensitive trimmed headers, BOM and CRLF', async () => {
    const rows = [
      ['0004A30B001C0530', '70B3D57ED0000000', APP_KEY, NWK_KEY, 'Sensor 1', 'MAC_V1_1', '42FF', 'FF42', 'CLAIM0001'],
      ['0004a30b001c0531', '70b3d57ed0000000', APP_KEY.toLowerCase(), '', 'Sensor, 2', '1.0.3', '', '', ''],
    ];
    const header = ' Dev_EUI , JOIN_EUI,app_key,nwk_key,name,lorawan_version,vendor_id,vendor_profile_id,claim_authentication_code,frequency_plan_id';
    for (const sep of [',', ';']) {
      const quote = (cell: string): string => (cell.includes(',') ? `"${cell}"` : cell);
      const text = `\uFEFF${header.replaceAll(',', sep)}\r\n${rows.map((row) => [...row, 'EU_863_870'].map(quote).join(sep)).join('\r\n')}\r\n`;
      const { items, error } = await read(text);
      expect(error).toBeUndefined();
      expect(items).toHaveLength(2);
      const [first, second] = items;
      expect(first?.ok && first.entry).toMatchObject({
        index: 0,
        devEui: '0004A30B001C0530',
        joinEui: '70B3D57ED0000000',
        name: 'Sensor 1',
        macVersion: '1.1',
        vendorId: '42FF',
        vendorProfileId: 'FF42',
        ownerToken: 'CLAIM0001',
      });
      if (!first?.ok || !second?.ok) throw new Error('expected two accepted rows');
      expect(first.entry.appKey?.equals(AesKey.fromHex(APP_KEY))).toBe(true);
      expect(first.entry.nwkKey?.equals(AesKey.fromHex(NWK_KEY))).toBe(true);
      expect(second.entry).toMatchObject({ index: 1, devEui: '0004A30B001C0531', name: 'Sensor, 2', macVersion: '1.0.3' });
      expect(second.entry.appKey?.unsafeHex()).toBe(APP_KEY);
      expect(Object.keys(second.entry).sort()).toEqual(['appKey', 'devEui', 'index', 'joinEui', 'macVersion', 'name']);
    }
  });

  it('accepts app_eui for join_eui, and a default JoinEUI', async () => {
    const { items } = await read('dev_eui;app_eui\n0004A30B001C0530;70B3D57ED0000001\n0004A30B001C0531;\n', {
      defaultJoinEui: '70b3d57ed0000002',
    });
    expect(items.map((item) => item.ok && item.entry.joinEui)).toEqual(['70B3D57ED0000001', '70B3D57ED0000002']);
    await expect(read('dev_eui\n0004A30B001C0530\n', { defaultJoinEui: 'nope' })).resolves.toMatchObject({
      error: expect.any(InvalidInputError),
    });
  });

  it('rejects bad rows with the row index and line number, and keeps going', async () => {
    const text = [
      'dev_eui,join_eui,app_key,lorawan_version,vendor_id,claim_authentication_code,name',
      '0004A30B001C0530,70B3D57ED0000000,,,,,', // row 0, line 2
      '', // empty line, skipped
      '0004A30B001C05ZZ,70B3D57ED0000000,,,,,', // row 1, line 4
      `0004A30B001C0532,70B3D57ED0000000,${APP_KEY.slice(0, 30)}XY,,,,`, // row 2
      '0004A30B001C0533,70B3D57ED0000000,,1.2,,,', // row 3
      '0004A30B001C0534,,,,,,', // row 4
      '0000000000000000,70B3D57ED0000000,,,,,', // row 5
      '0004A30B001C0530,70B3D57ED0000000,,,,,', // row 6: duplicate of row 0
      '0004A30B001C0537,70B3D57ED0000000,,,12345,,', // row 7
      '0004A30B001C0538,70B3D57ED0000000,,,,has space,', // row 8
      ',70B3D57ED0000000,,,,,', // row 9
      '0004A30B001C0539,70B3D57ED0000000,,,,,"multi', // row 10, lines 13-14
      'line"',
      '0004A30B001C053A,70B3D57ED0000000,,,,,,,extra', // row 11, line 15
      '0004A30B001C053B,70B3D57ED0000000,,,,,,,', // row 12: empty extra cells are fine
    ].join('\n');
    const { items, error } = await read(text);
    expect(error).toBeUndefined();
    const summary = items.map((item) => (item.ok ? `${item.entry.index} ok` : `${item.index} ${item.code}: ${item.reason}`));
    expect(summary).toEqual([
      '0 ok',
      '1 invalid_field: row 1 (line 4): dev_eui must contain only hex digits',
      '2 invalid_field: row 2 (line 5): app_key must contain only hex digits',
      '3 invalid_field: row 3 (line 6): lorawan_version must be a LoRaWAN MAC version such as 1.0.3, 1.1 or MAC_V1_0_3 (supported: 1.0 to 1.0.4, 1.1)',
      '4 missing_field: row 4 (line 7): join_eui (or app_eui) is required',
      '5 invalid_field: row 5 (line 8): dev_eui must not be zero',
      '6 duplicate: DevEUI 0004A30B001C0530 already appears in row 0 of this file',
      '7 invalid_field: row 7 (line 10): vendor_id must be 1 to 4 hex digits',
      "8 invalid_field: row 8 (line 11): claim_authentication_code must be 1 to 64 printable ASCII characters without spaces or ':'",
      '9 missing_field: row 9 (line 12): dev_eui is required',
      '10 invalid_field: row 10 (line 13): name must be at most 255 characters, without control characters',
      '11 malformed_entry: row 11 (line 15): has 9 cells but the header has 7 columns',
      '12 ok',
    ]);
    expect(rejection(items[2]).devEui).toBe('0004A30B001C0532');
    expect(rejection(items[1]).devEui).toBeUndefined();
  });

  it('never puts key material or owner tokens in a reason', async () => {
    const secret = 'DEADBEEFDEADBEEFDEADBEEFDEADBEQQ';
    const { items } = await read(`dev_eui,join_eui,app_key,claim_authentication_code\n0004A30B001C0530,70B3D57ED0000000,${secret},\n0004A30B001C0531,70B3D57ED0000000,,SECRET:TOKEN\n`);
    const text = JSON.stringify(items);
    expect(text).not.toContain('DEADBEEF');
    expect(text).not.toContain('SECRET');
    expect(items.every((item) => !item.ok)).toBe(true);
  });

  it('maps MAC version spellings', async () => {
    const versions = ['1.0', '1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1', '1.1.0', 'MAC_V1_0', 'mac_v1_0_2', 'MAC_V1_0_4', 'MAC_V1_1'];
    const text = `dev_eui,join_eui,lorawan_version\n${versions.map((v, i) => `0004A30B001C05${(0x10 + i).toString(16)},70B3D57ED0000000,${v}`).join('\n')}`;
    const { items } = await read(text);
    expect(items.map((item) => item.ok && item.entry.macVersion)).toEqual([
      '1.0', '1.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1', '1.1', '1.0', '1.0.2', '1.0.4', '1.1',
    ]);
  });

  it('fails the file without a dev_eui column, or for garbage, after the good rows', async () => {
    const missing = await read('id,join_eui\nfoo,70B3D57ED0000000\n');
    expect(missing.error).toBeInstanceOf(ImportFileError);
    expect(missing.error).toMatchObject({ code: 'missing_column', message: 'CSV header (line 1) has no dev_eui column (found: id, join_eui)' });

    const empty = await read('\n\n');
    expect(empty.error).toMatchObject({ code: 'malformed_file', message: 'the CSV file is empty: no header line' });

    const binary = await read(Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x22, 0x0a, 0x41]));
    expect(binary.error).toBeInstanceOf(ImportFileError);

    const quotes = await read('dev_eui,join_eui\n0004A30B001C0530,70B3D57ED0000000\n0004A30B001C0531,"70B3"x\n');
    expect(quotes.items).toHaveLength(1);
    expect(quotes.error).toMatchObject({ code: 'malformed_file', message: 'CSV has a misplaced quote at line 3', details: { line: 3 } });

    const unclosed = await read('dev_eui,name\n0004A30B001C0530,ok\n0004A30B001C0531,"never closed\n');
    expect(unclosed.items).toHaveLength(1);
    expect(unclosed.error).toMatchObject({ code: 'malformed_file' });
    expect((unclosed.error as Error).message).toMatch(/^CSV quoted field is never closed/);
    expect((unclosed.error as Error).message).not.toContain('never closed\n');

    const manifest = await read('[{"payload":"x","protected":"y","signature":"z"}]');
    expect(manifest.error).toMatchObject({ code: 'malformed_file', message: 'CSV has a misplaced quote at line 1' });
    const json = await read('[\n{"dev_eui": "0004A30B001C0530"}\n]\n');
    expect(json.error).toMatchObject({ code: 'missing_column' });
  });

  it('closes the source when the caller stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        yield 'dev_eui,join_eui\n0004A30B001C0530,70B3D57ED0000000\n';
        yield '0004A30B001C0531,70B3D57ED0000000\n';
        yield '0004A30B001C0532,70B3D57ED0000000\n';
      } finally {
        closed = true;
      }
    }
    for await (const item of readCsvDevices(source())) {
      expect(item.ok).toBe(true);
      break;
    }
    expect(closed).toBe(true);
  });

  it('stops at a 10 MiB line with a clear error, without holding it', async () => {
    async function* source(): AsyncGenerator<string> {
      yield 'dev_eui,name\n0004A30B001C0530,first\n0004A30B001C0531,';
      const block = 'x'.repeat(65536);
      for (let i = 0; i < 160; i++) yield block;
      yield '\n0004A30B001C0532,after\n';
    }
    const before = process.memoryUsage().heapUsed;
    const items: ImportItem[] = [];
    let error: unknown;
    try {
      for await (const item of readCsvDevices(source())) items.push(item);
    } catch (e) {
      error = e;
    }
    expect(items).toHaveLength(1);
    expect(error).toMatchObject({ code: 'malformed_file', message: 'CSV record at line 3 is longer than 1048576 characters' });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('streams 100,000 rows with bounded memory', async () => {
    const count = 100_000;
    async function* source(): AsyncGenerator<string> {
      yield 'dev_eui;join_eui;app_key;name;lorawan_version\n';
      let batch = '';
      for (let i = 0; i < count; i++) {
        batch += `${(0x0004a30b00000000n + BigInt(i)).toString(16).padStart(16, '0')};70B3D57ED0000000;${APP_KEY};device ${i};1.0.3\n`;
        if (batch.length > 64 * 1024) {
          yield batch;
          batch = '';
        }
      }
      yield batch;
    }
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    let ok = 0;
    let last = -1;
    const started = performance.now();
    for await (const item of readCsvDevices(source())) {
      if (item.ok) {
        ok += 1;
        last = item.entry.index;
      }
      if (ok % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    const elapsed = performance.now() - started;
    expect(ok).toBe(count);
    expect(last).toBe(count - 1);
    expect(peak).toBeLessThan(100 * 1024 * 1024);
    console.info(`csv: ${count} rows in ${elapsed.toFixed(0)} ms (${((count / elapsed) * 1000).toFixed(0)} rows/s), heap growth peak ${(peak / 1e6).toFixed(1)} MB`);
  });
});
