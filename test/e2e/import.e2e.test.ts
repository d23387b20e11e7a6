import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildManifest, createTestSigner, manifestEntries, testIdentity, type Corruption, type ManifestOptions, type TestSigner,
} from '../fixtures/microchip-test-signer.js';
import { DEED_BIN, runDeed, runDeedAsync, startDeed, tempDir, type DeedRun, type DeedServer } from '../support/deed-process.js';
import { MICROCHIP_FIXTURES } from '../support/shared-fixtures.js';

/**
 * `deed import` end to end: the real CLI streaming real files to a real server, which verifies
 * Microchip manifests against a test Log Signer it trusts through DEED_TRUSTED_SIGNERS, reads
 * The Things Stack style CSV and JSON, and answers per entry. Bad entries are reported with their
 * index and code while the good ones are imported; re-running an import (also an interrupted one)
 * imports nothing twice and leaves every device with the file's SHA-256 as provenance.
 */

/** One element of the JSON array `deed import` prints. */
interface Row {
  readonly devEUI?: string;
  readonly ownerToken?: string | null;
  readonly rootKeysExposed?: boolean;
  readonly alreadyImported?: true;
  readonly index?: number;
  readonly error?: string;
  readonly message?: string;
}

/** The parts of GET /api/v1/devices/:devEui these tests read. */
interface View {
  devEUI: string;
  joinEUI: string;
  ownerToken?: string | null;
  name: string | null;
  macVersion: string;
  vendorId: string | null;
  vendorProfileId: string | null;
  rootKeysAvailable: { appKey: boolean; nwkKey: boolean };
  secureElement: { uniqueId: string; model: string; partNumber: string; signerKid: string; generation: string } | null;
  provenance: { format: string; fileSha256: string | null; importedBy: string; importedAt: string } | null;
}

interface AuditEvent { seq: number; action: string; actor: string; devEui: string | null }

const ACCOUNTS = {
  maker: 'maker password 1',
  rival: 'rival password 1',
  planner: 'planner password 1',
} as const;
type Name = keyof typeof ACCOUNTS;

const TNGLORA_JOIN_EUI = '70B3D57ED0000000';
const FIXTURE_DEV_EUI = '0004A310001FF9DA';
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
/** Progress lines of `deed import` when stderr is not a terminal. */
const PROGRESS = /^processed \d+: \d+ imported, \d+ already there, \d+ failed/m;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/** Writes manifest entries `from` … `from + count - 1` (identities {@link testIdentity}) as a JSON array. */
function writeManifestSlice(path: string, from: number, count: number, options: Omit<ManifestOptions, 'count'>): string {
  const entries = [...manifestEntries({ ...options, count: from + count })].slice(from);
  writeFileSync(path, `[\n${entries.join(',\n')}\n]\n`);
  return path;
}

/** Lines of stderr that are the CLI's own error messages. */
const errorLines = (run: DeedRun) => run.stderr.split('\n').filter((l) => l.startsWith('deed: '));

/** The run printed exactly a JSON array on stdout, progress on stderr only, and no stack trace. */
function rowsOf(run: DeedRun): Row[] {
  expect(run.stdout, run.stderr).toMatch(/^\[[\s\S]*\]\n$/);
  const rows = run.json<Row[]>();
  expect(Array.isArray(rows)).toBe(true);
  expect(run.stdout).not.toMatch(PROGRESS);
  expect(run.stderr).not.toMatch(STACK_TRACE);
  return rows;
}

describe('deed import (real server, real CLI)', () => {
  let server: DeedServer;
  let signer: TestSigner;
  let stranger: TestSigner;
  const data = tempDir();
  const files = tempDir('deed-import-files-');
  const file = (name: string) => join(files.path, name);

  const env = (name: Name) => ({ DEED_URL: server.url, DEED_USERNAME: name, DEED_PASSWORD: ACCOUNTS[name] });
  const deed = (name: Name, args: string[]) => runDeedAsync(args, { env: env(name) });
  const importAs = (name: Name, format: string, path: string, ...extra: string[]) => deed(name, ['import', '-f', format, path, ...extra]);
  const auth = (name: Name | 'admin') =>
    `Basic ${Buffer.from(`${name}:${name === 'admin' ? 'test-admin-password-1' : ACCOUNTS[name]}`).toString('base64')}`;
  const get = async <T>(name: Name | 'admin', path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: auth(name) } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const device = async (name: Name | 'admin', devEui: string): Promise<View> => {
    const answer = await get<View>(name, `/api/v1/devices/${devEui}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };
  const inventory = async (name: Name): Promise<View[]> => {
    const out: View[] = [];
    let after: string | null = null;
    do {
      const page: { body: { devices: View[]; next: string | null } } = await get(name, `/api/v1/devices?limit=1000${after === null ? '' : `&after=${after}`}`);
      out.push(...page.body.devices);
      after = page.body.next;
    } while (after !== null);
    return out;
  };
  const audit = async (): Promise<AuditEvent[]> => {
    const out: AuditEvent[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const page: { body: { events: AuditEvent[]; next: number | null } } = await get('admin', `/api/v1/audit?limit=1000&afterSeq=${after}`);
      out.push(...page.body.events);
      after = page.body.next;
    }
    return out;
  };

  beforeAll(async () => {
    signer = createTestSigner('Deed Import E2E Log Signer');
    stranger = createTestSigner('Untrusted Log Signer');
    const signers = file('signers');
    mkdirSync(signers);
    writeFileSync(join(signers, `${signer.kid}.pem`), signer.pem);
    server = await startDeed({ dataDir: data.path, env: { DEED_TRUSTED_SIGNERS: signers } });
    for (const [name, password] of Object.entries(ACCOUNTS)) {
      const add = runDeed(['accounts', 'add', '--username', name, '--role', 'provisioner', '--password-stdin'], { url: server.url, input: `${password}\n` });
      expect(add.code, add.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    files.remove();
  });

  describe('Microchip manifests', () => {
    it('imports the good entries of a mixed manifest and reports each bad one with its index and code', async () => {
      const corrupt = new Map<number, Corruption>([
        [1, 'signature'], [2, 'unknown-kid'], [3, 'alg'], [5, 'chain'], [6, 'impostor-ca'], [7, 'jwk'], [8, 'zero-dev-eui'],
        [9, 'bad-cn'], [10, 'serial-mismatch'], [11, 'header-unique-id'], [12, 'duplicate'], [13, 'not-json'], [15, 'duplicate-unique-id'],
      ]);
      const expected: Record<number, [string, RegExp]> = {
        1: ['invalid_signature', /signature does not verify/],
        2: ['unknown_signer', /bm90LWEtdHJ1c3RlZC1zaWduZXI/],
        3: ['unsupported_algorithm', /HS256/],
        5: ['certificate_chain_mismatch', /not issued and signed by/],
        6: ['certificate_chain_mismatch', /not issued and signed by/],
        7: ['public_key_mismatch', /JWK x\/y is not the public key of the device certificate/],
        8: ['dev_eui_not_found', /zero/],
        9: ['dev_eui_not_found', /neither/],
        10: ['certificate_mismatch', /device certificate is for secure element/],
        11: ['certificate_mismatch', /header.uniqueId contradicts/],
        12: ['duplicate', /already appears in entry 0 of this file/],
        13: ['malformed_entry', /not valid JSON/],
        15: ['duplicate', /already appears in entry 0 of this file/],
      };
      const manifest = await buildManifest({ count: 18, generation: 'mixed', signer, corrupt, pretty: true, path: file('mixed.json') });
      const run = await importAs('maker', 'microchip-atecc608', manifest.path);
      expect(run.code, run.stderr).toBe(1);
      const rows = rowsOf(run);
      expect(rows).toHaveLength(18);
      const good: string[] = [];
      rows.forEach((row, index) => {
        const want = expected[index];
        if (want === undefined) {
          expect(row).toEqual({ devEUI: testIdentity(index).devEui, ownerToken: expect.stringMatching(/^[0-9A-F]{8}$/), rootKeysExposed: false });
          good.push(testIdentity(index).devEui);
        } else {
          expect(row, `entry ${index}`).toMatchObject({ index, error: want[0], message: expect.stringMatching(want[1]) });
          expect(Object.keys(row).sort()).toEqual(expect.arrayContaining(['error', 'index', 'message']));
        }
      });
      expect(good).toHaveLength(5);
      expect(errorLines(run)).toEqual([`deed: 13 of 18 entries failed; see their index and message above`]);
      expect(run.stderr).toMatch(/imported 5, already there 0, failed 13 \(file SHA-256 [0-9a-f]{64}\)/);

      const stored = await inventory('maker');
      expect(stored.map((d) => d.devEUI).sort()).toEqual(good.sort());
    });

    it('refuses the real manifest entry whose signature was corrupted', async () => {
      const run = await importAs('maker', 'microchip-atecc608', join(MICROCHIP_FIXTURES, 'tnglora-b-bad-signature.json'));
      expect(run.code, run.stderr).toBe(1);
      expect(rowsOf(run)).toEqual([{ index: 0, error: 'invalid_signature', message: expect.stringMatching(/signature/) }]);
      expect((await get('admin', `/api/v1/devices/${FIXTURE_DEV_EUI}`)).status).toBe(404);
    });

    it('names the kid of a signer the server does not trust', async () => {
      const path = writeManifestSlice(file('stranger.json'), 400, 2, { generation: 'B', signer: stranger });
      const run = await importAs('maker', 'microchip-atecc608', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows).toEqual([0, 1].map((index) => ({
        index, error: 'unknown_signer', message: expect.stringContaining(`"${stranger.kid}"`),
      })));
      expect((await get('admin', `/api/v1/devices/${testIdentity(400).devEui}`)).status).toBe(404);
    });

    it('imports C-generation secure elements with the DevEUI of their certificate and records provenance', async () => {
      const path = writeManifestSlice(file('c-generation.json'), 100, 4, { generation: 'C', signer });
      const run = await importAs('maker', 'microchip-atecc608', path);
      expect(run.code, run.stderr).toBe(0);
      const rows = rowsOf(run);
      expect(rows.map((r) => r.devEUI)).toEqual([100, 101, 102, 103].map((i) => testIdentity(i).devEui));
      for (const [i, row] of rows.entries()) {
        const view = await device('maker', testIdentity(100 + i).devEui);
        expect(view).toMatchObject({
          joinEUI: TNGLORA_JOIN_EUI,
          ownerToken: row.ownerToken,
          macVersion: '1.0.2',
          rootKeysAvailable: { appKey: false, nwkKey: false },
          secureElement: {
            uniqueId: testIdentity(100 + i).uniqueId, model: 'ATECC608C', partNumber: 'ATECC608C-TNGLORA', signerKid: signer.kid, generation: 'C',
          },
          provenance: { format: 'microchip-atecc608', fileSha256: sha256(path), importedBy: 'maker' },
        });
      }
    });

    it('answers another maker importing the same secure elements with `duplicate` and nothing else', async () => {
      const path = file('c-generation.json'); // imported by maker above
      const before = await device('maker', testIdentity(100).devEui);
      const run = await importAs('rival', 'microchip-atecc608', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows).toHaveLength(4);
      rows.forEach((row, index) => {
        expect(row).toEqual({ index, devEUI: testIdentity(100 + index).devEui, error: 'duplicate', message: expect.any(String) });
        expect(row.message).not.toMatch(/maker/);
        expect(row.message).not.toContain(before.ownerToken ?? '-');
      });
      expect((await get('rival', `/api/v1/devices/${testIdentity(100).devEui}`)).status).toBe(404);
      expect(await inventory('rival')).toEqual([]);
      expect(await device('maker', testIdentity(100).devEui)).toEqual(before);
    });
  });

  describe('CSV and JSON device lists', () => {
    const csvDevices = () => [
      { devEui: hex(8), joinEui: '70B3D57ED0000001', appKey: hex(16), nwkKey: hex(16), name: 'kitchen; north', version: 'MAC_V1_1', mac: '1.1', vendorId: '0x0A1B', profile: '1', token: `CLAIM${hex(4)}` },
      { devEui: hex(8), joinEui: '70B3D57ED0000001', appKey: hex(16), nwkKey: '', name: 'porch, east', version: '1.0.3', mac: '1.0.3', vendorId: '', profile: '', token: '' },
      { devEui: hex(8), joinEui: '70B3D57ED0000002', appKey: hex(16), nwkKey: '', name: 'attic', version: 'MAC_V1_0_2', mac: '1.0.2', vendorId: '00FF', profile: '0002', token: `code-${hex(3)}` },
    ];
    type CsvDevice = ReturnType<typeof csvDevices>[number];

    async function checkImported(rows: readonly Row[], devices: readonly CsvDevice[], path: string, format: string): Promise<void> {
      expect(rows).toHaveLength(devices.length);
      for (const [i, d] of devices.entries()) {
        const row = rows[i];
        // The owner token is the row's claim_authentication_code, or a generated one.
        expect(row).toEqual({ devEUI: d.devEui, ownerToken: d.token !== '' ? d.token : expect.stringMatching(/^[0-9A-F]{8}$/), rootKeysExposed: false });
        expect(await device('maker', d.devEui)).toMatchObject({
          devEUI: d.devEui,
          joinEUI: d.joinEui,
          ownerToken: row?.ownerToken,
          name: d.name,
          macVersion: d.mac,
          vendorId: d.vendorId === '' ? null : d.vendorId.replace(/^0x/, '').padStart(4, '0').toUpperCase(),
          vendorProfileId: d.profile === '' ? null : d.profile.padStart(4, '0'),
          rootKeysAvailable: { appKey: true, nwkKey: d.nwkKey !== '' },
          secureElement: null,
          provenance: { format, fileSha256: sha256(path), importedBy: 'maker' },
        });
      }
    }

    const quote = (text: string, separator: string) => (text.includes(separator) ? `"${text}"` : text);

    it('reads comma-separated CSV with The Things Stack headers, ignoring unknown columns', async () => {
      const devices = csvDevices();
      const header = 'dev_eui,join_eui,frequency_plan_id,app_key,nwk_key,name,lorawan_version,vendor_id,vendor_profile_id,claim_authentication_code,brand_id';
      const lines = devices.map((d) => [d.devEui, d.joinEui, 'EU_863_870_TTN', d.appKey, d.nwkKey, quote(d.name, ','), d.version, d.vendorId, d.profile, d.token, 'acme'].join(','));
      const path = file('devices-comma.csv');
      writeFileSync(path, `${header}\r\n${lines.join('\r\n')}\r\n`);
      const run = await importAs('maker', 'csv', path);
      expect(run.code, run.stderr).toBe(0);
      await checkImported(rowsOf(run), devices, path, 'csv');
    });

    it('reads semicolon-separated CSV with app_eui instead of join_eui', async () => {
      const devices = csvDevices();
      const header = 'DEV_EUI;app_eui;app_key;nwk_key;name;lorawan_version;vendor_id;vendor_profile_id;claim_authentication_code;description';
      const lines = devices.map((d) => [d.devEui.toLowerCase(), d.joinEui, d.appKey, d.nwkKey, quote(d.name, ';'), d.version, d.vendorId, d.profile, d.token, 'a, b, c'].join(';'));
      const path = file('devices-semicolon.csv');
      writeFileSync(path, `${header}\n${lines.join('\n')}\n`);
      const run = await importAs('maker', 'csv', path);
      expect(run.code, run.stderr).toBe(0);
      await checkImported(rowsOf(run), devices, path, 'csv');
    });

    it('reads a JSON array of the same fields', async () => {
      const devices = csvDevices();
      const path = file('devices.json');
      writeFileSync(path, JSON.stringify(devices.map((d, i) => ({
        dev_eui: d.devEui,
        ...(i === 1 ? { app_eui: d.joinEui } : { join_eui: d.joinEui }),
        app_key: d.appKey,
        nwk_key: d.nwkKey === '' ? null : d.nwkKey,
        name: d.name,
        lorawan_version: d.version,
        ...(d.vendorId === '' ? {} : { vendor_id: i === 0 ? Number.parseInt(d.vendorId, 16) : d.vendorId }),
        ...(d.profile === '' ? {} : { vendor_profile_id: d.profile }),
        ...(d.token === '' ? {} : { claim_authentication_code: d.token }),
        ids: { device_id: `dev-${i}` },
        frequency_plan_id: 'EU_863_870',
      })), null, 2));
      const run = await importAs('maker', 'json', path);
      expect(run.code, run.stderr).toBe(0);
      await checkImported(rowsOf(run), devices, path, 'json');
    });

    it('reports wrongly typed JSON fields and non-object entries by index and imports the rest', async () => {
      const good = [hex(8), hex(8)];
      const base = (devEui: string) => ({ dev_eui: devEui, join_eui: '70B3D57ED0000001', app_key: hex(16) });
      const entries: unknown[] = [
        base(good[0] ?? ''),
        { ...base(hex(8)), dev_eui: 1234 },
        { ...base(hex(8)), app_key: true },
        { ...base(hex(8)), name: { first: 'x' } },
        { ...base(hex(8)), lorawan_version: 1.1 },
        { ...base(hex(8)), claim_authentication_code: 12345678 },
        { ...base(hex(8)), vendor_id: 70000 },
        'a string',
        null,
        [base(hex(8))],
        42,
        base(good[1] ?? ''),
      ];
      const path = file('wrong-types.json');
      writeFileSync(path, JSON.stringify(entries));
      const run = await importAs('maker', 'json', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows.map((r) => r.error ?? r.devEUI)).toEqual([
        good[0], 'invalid_field', 'invalid_field', 'invalid_field', 'invalid_field', 'invalid_field', 'invalid_field',
        'malformed_entry', 'malformed_entry', 'malformed_entry', 'malformed_entry', good[1],
      ]);
      expect(rows[1]).toMatchObject({ index: 1, message: expect.stringMatching(/dev_eui must be a string, got number/) });
      expect(rows[2]).toMatchObject({ index: 2, message: expect.stringMatching(/app_key must be a string, got boolean/) });
      expect(rows[3]).toMatchObject({ index: 3, message: expect.stringMatching(/name must be a string, got object/) });
      expect(rows[4]).toMatchObject({ index: 4, message: expect.stringMatching(/lorawan_version must be a string, got number/) });
      expect(rows[5]).toMatchObject({ index: 5, message: expect.stringMatching(/claim_authentication_code must be a string/) });
      expect(rows[6]).toMatchObject({ index: 6, message: expect.stringMatching(/vendor_id must be an integer from 0 to 65535/) });
      for (const i of [7, 8, 9, 10]) expect(rows[i]).toMatchObject({ index: i, message: expect.stringMatching(/must be a JSON object/) });
      expect(errorLines(run)).toEqual(['deed: 10 of 12 entries failed; see their index and message above']);
    });
  });

  describe('files that cannot be read', () => {
    it('refuses garbage with one line and no stack trace', async () => {
      const garbage = file('garbage.bin');
      writeFileSync(garbage, Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe]), randomBytes(4096)]));
      const notArray = file('object.json');
      writeFileSync(notArray, '{"dev_eui": "0004A30B001C0530"}');
      for (const [format, path, reason] of [
        ['microchip-atecc608', garbage, /not a JSON array/],
        ['json', garbage, /not a JSON array/],
        ['json', notArray, /not a JSON array: expected '\[' but found '\{'/],
        ['csv', garbage, /dev_eui|CSV/],
      ] as const) {
        const run = await importAs('maker', format, path);
        expect(run.code, `${format} ${path}: ${run.stderr}`).toBe(1);
        expect(errorLines(run), run.stderr).toEqual([expect.stringMatching(reason)]);
        expect(run.stderr).not.toMatch(STACK_TRACE);
        expect(run.stdout).not.toMatch(/devEUI/);
      }
    });

    it('refuses an empty file in every format, and accepts an empty array', async () => {
      const empty = file('empty');
      writeFileSync(empty, '');
      for (const [format, reason] of [['microchip-atecc608', /empty/], ['json', /empty/], ['csv', /empty/]] as const) {
        const run = await importAs('maker', format, empty);
        expect(run.code, `${format}: ${run.stderr}`).toBe(1);
        expect(errorLines(run)).toEqual([expect.stringMatching(reason)]);
        expect(run.stdout).toBe('');
      }
      const emptyArray = file('empty-array.json');
      writeFileSync(emptyArray, '[]\n');
      const run = await importAs('maker', 'json', emptyArray);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('[]\n');
    });

    it('imports and reports the complete entries of a truncated JSON file, then says the import stopped', async () => {
      const devEuis = [hex(8), hex(8), hex(8), hex(8), hex(8)];
      const text = JSON.stringify(devEuis.map((d) => ({ dev_eui: d, join_eui: '70B3D57ED0000001', app_key: hex(16) })), null, 2);
      const cut = text.indexOf(devEuis[3] ?? '') + 5; // inside the 4th entry's DevEUI
      const path = file('truncated.json');
      writeFileSync(path, text.slice(0, cut));
      const run = await importAs('maker', 'json', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows.map((r) => r.devEUI)).toEqual(devEuis.slice(0, 3));
      expect(errorLines(run)).toEqual([expect.stringMatching(/^deed: the import stopped: .*truncated|^deed: the import stopped: .*end/)]);
      expect(errorLines(run)[0]).toMatch(/run the same command again/);
      for (const d of devEuis.slice(0, 3)) expect((await device('maker', d)).devEUI).toBe(d);
      expect((await get('maker', `/api/v1/devices/${devEuis[3]}`)).status).toBe(404);
    });

    it('imports and reports the complete entries of a truncated manifest, then says the import stopped', async () => {
      const path = writeManifestSlice(file('truncated-manifest.json'), 300, 5, { generation: 'B', signer });
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.slice(0, Math.floor(text.length * 0.7)));
      const run = await importAs('maker', 'microchip-atecc608', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.length).toBeLessThan(5);
      expect(rows.map((r) => r.devEUI)).toEqual(rows.map((_, i) => testIdentity(300 + i).devEui));
      expect(errorLines(run)).toEqual([expect.stringMatching(/^deed: the import stopped: /)]);
      // Those devices stay, with no file hash: the file was not read to its end.
      expect((await device('maker', testIdentity(300).devEui)).provenance).toMatchObject({ format: 'microchip-atecc608', fileSha256: null });
    });

    it('stops at a CSV record over the size limit (a 10 MiB line), after importing the rows before it', async () => {
      const before = hex(8);
      const path = file('huge.csv');
      writeFileSync(path, `dev_eui,join_eui,app_key,name\n${before},70B3D57ED0000001,${hex(16)},ok\n${hex(8)},70B3D57ED0000001,${hex(16)},${'x'.repeat(10 * 1024 * 1024)}\n${hex(8)},70B3D57ED0000001,${hex(16)},after\n`);
      const run = await importAs('maker', 'csv', path);
      expect(run.code).toBe(1);
      expect(rowsOf(run).map((r) => r.devEUI)).toEqual([before]);
      expect(errorLines(run)).toEqual([expect.stringMatching(/^deed: the import stopped: CSV record at line 3 is longer than 1048576 characters/)]);
      expect(run.stderr.length).toBeLessThan(4096);
    });

    it('skips a JSON entry over the 1 MiB entry limit on a 10 MiB single line, and imports the others', async () => {
      const [first, last] = [hex(8), hex(8)];
      const entry = (devEui: string, name: string) => JSON.stringify({ dev_eui: devEui, join_eui: '70B3D57ED0000001', app_key: hex(16), name });
      const path = file('huge.json');
      writeFileSync(path, `[${entry(first, 'first')},${entry(hex(8), 'y'.repeat(10 * 1024 * 1024))},${entry(last, 'last')}]`);
      const run = await importAs('maker', 'json', path);
      expect(run.code).toBe(1);
      const rows = rowsOf(run);
      expect(rows).toEqual([
        expect.objectContaining({ devEUI: first }),
        { index: 1, error: 'entry_too_large', message: expect.stringMatching(/over the 1048576-byte limit/) },
        expect.objectContaining({ devEUI: last }),
      ]);
      expect(run.stdout.length).toBeLessThan(4096);
    });
  });

  describe('dry runs and re-runs', () => {
    it('--dry-run reports what would happen and writes nothing', async () => {
      const taken = (await inventory('maker'))[0]?.devEUI ?? '';
      const fresh = [hex(8), hex(8)];
      const csv = file('dry-run.csv');
      writeFileSync(csv, `dev_eui,join_eui,app_key,claim_authentication_code\n${fresh[0]},70B3D57ED0000001,${hex(16)},DRYRUN01\n${fresh[1]},70B3D57ED0000001,${hex(16)},\n${taken},70B3D57ED0000001,${hex(16)},\nnot-a-eui,70B3D57ED0000001,${hex(16)},\n`);
      const manifest = writeManifestSlice(file('dry-run.json'), 200, 3, { generation: 'mixed', signer });
      const eventsBefore = await audit();

      const csvRun = await importAs('planner', 'csv', csv, '--dry-run');
      expect(csvRun.code).toBe(1);
      expect(rowsOf(csvRun)).toEqual([
        { devEUI: fresh[0], ownerToken: 'DRYRUN01', rootKeysExposed: false },
        { devEUI: fresh[1], ownerToken: expect.stringMatching(/^[0-9A-F]{8}$/), rootKeysExposed: false },
        { index: 2, devEUI: taken, error: 'duplicate', message: expect.any(String) },
        { index: 3, error: 'invalid_field', message: expect.stringMatching(/dev_eui/) },
      ]);
      expect(csvRun.stderr).toMatch(/would import 2, already there 0, failed 2/);

      const manifestRun = await importAs('planner', 'microchip-atecc608', manifest, '--dry-run');
      expect(manifestRun.code, manifestRun.stderr).toBe(0);
      expect(rowsOf(manifestRun).map((r) => r.devEUI)).toEqual([200, 201, 202].map((i) => testIdentity(i).devEui));
      expect(manifestRun.stderr).toMatch(/would import 3, already there 0, failed 0/);

      expect(await inventory('planner')).toEqual([]);
      for (const devEui of [...fresh, testIdentity(200).devEui]) expect((await get('admin', `/api/v1/devices/${devEui}`)).status).toBe(404);
      const eventsAfter = await audit();
      expect(eventsAfter.filter((e) => e.action === 'device.import').length).toBe(eventsBefore.filter((e) => e.action === 'device.import').length);
      expect(eventsAfter.filter((e) => e.actor === 'planner')).toEqual([]);
    });

    it('imports nothing twice when the same file is imported again', async () => {
      const csv = file('again.csv');
      writeFileSync(csv, `dev_eui,join_eui,app_key,nwk_key\n${[1, 2, 3].map(() => `${hex(8)},70B3D57ED0000001,${hex(16)},${hex(16)}`).join('\n')}\n`);
      const manifest = writeManifestSlice(file('again.json'), 500, 3, { generation: 'mixed', signer });
      for (const [format, path] of [['csv', csv], ['microchip-atecc608', manifest]] as const) {
        const first = await importAs('maker', format, path);
        expect(first.code, first.stderr).toBe(0);
        const rows = rowsOf(first);
        expect(rows.every((r) => r.alreadyImported === undefined && r.devEUI !== undefined)).toBe(true);
        const events = await audit();

        const again = await importAs('maker', format, path);
        expect(again.code, again.stderr).toBe(0);
        expect(rowsOf(again)).toEqual(rows.map((r) => ({ ...r, alreadyImported: true })));
        expect(again.stderr).toMatch(/imported 0, already there 3, failed 0/);
        expect(await audit()).toEqual(events);
        for (const r of rows) expect((await device('maker', r.devEUI ?? '')).provenance?.fileSha256).toBe(sha256(path));
      }
    });
  });
});

describe('an interrupted import, run again', () => {
  const COUNT = 3000;
  const MAKER = { username: 'maker', password: 'maker password 1' };
  const files = tempDir('deed-import-files-');
  let signer: TestSigner;
  let manifest: string;
  let manifestSha256: string;

  beforeAll(async () => {
    signer = createTestSigner('Deed Interrupted Import Log Signer');
    writeFileSync(join(files.path, 'signer.pem'), signer.pem);
    manifest = (await buildManifest({ count: COUNT, generation: 'mixed', signer, path: join(files.path, 'large.json') })).path;
    manifestSha256 = sha256(manifest);
  });
  afterAll(() => files.remove());

  async function serverWithMaker(dataDir: string): Promise<DeedServer> {
    const server = await startDeed({ dataDir, env: { DEED_TRUSTED_SIGNERS: join(files.path, 'signer.pem') } });
    return server;
  }
  function addMaker(server: DeedServer): void {
    const add = runDeed(['accounts', 'add', '--username', MAKER.username, '--role', 'provisioner', '--password-stdin'], { url: server.url, input: `${MAKER.password}\n` });
    expect(add.code, add.stderr).toBe(0);
  }
  const makerEnv = (server: DeedServer) => ({ DEED_URL: server.url, DEED_USERNAME: MAKER.username, DEED_PASSWORD: MAKER.password });

  /** Starts `deed import` of the large manifest; calls `interrupt` once it printed `after` results. */
  function importUntil(server: DeedServer, after: number, interrupt: (cli: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
    const cli = spawn(process.execPath, [DEED_BIN, 'import', '-f', 'microchip-atecc608', manifest], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', XDG_CONFIG_HOME: join(files.path, 'no-config'), ...makerEnv(server) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    cli.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!interrupted && (stdout.match(/"devEUI"/g) ?? []).length >= after) {
        interrupted = true;
        interrupt(cli);
      }
    });
    cli.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    return new Promise((resolve) => cli.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  }

  async function inventory(server: DeedServer): Promise<View[]> {
    const list = await runDeedAsync(['list'], { env: makerEnv(server) });
    expect(list.code, list.stderr).toBe(0);
    return list.json<View[]>();
  }

  async function runAgainAndCheck(server: DeedServer, presentBefore: number): Promise<void> {
    const again = await runDeedAsync(['import', '-f', 'microchip-atecc608', manifest], { env: makerEnv(server) });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const rows = rowsOf(again);
    expect(rows).toHaveLength(COUNT);
    expect(rows.every((r, i) => r.devEUI === testIdentity(i).devEui && r.error === undefined)).toBe(true);
    const already = rows.filter((r) => r.alreadyImported === true).length;
    expect(already).toBeGreaterThanOrEqual(presentBefore);
    expect(already).toBeLessThan(COUNT);
    // Progress on stderr, the summary last; stdout only the array.
    expect(again.stderr).toMatch(PROGRESS);
    expect(again.stderr).toMatch(new RegExp(`imported ${COUNT - already}, already there ${already}, failed 0 \\(file SHA-256 ${manifestSha256}\\)`));

    const devices = await inventory(server);
    expect(devices).toHaveLength(COUNT);
    expect(new Set(devices.map((d) => d.devEUI))).toEqual(new Set(rows.map((r) => r.devEUI)));
    const hashes = new Map<string | null | undefined, number>();
    for (const d of devices) hashes.set(d.provenance?.fileSha256, (hashes.get(d.provenance?.fileSha256) ?? 0) + 1);
    expect(Object.fromEntries(hashes)).toEqual({ [manifestSha256]: COUNT });
    expect(devices.every((d) => d.provenance?.format === 'microchip-atecc608' && d.provenance.importedBy === MAKER.username)).toBe(true);
  }

  it('when the CLI is killed part-way', async () => {
    const data = tempDir();
    const server = await serverWithMaker(data.path);
    try {
      addMaker(server);
      const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))?.[1]);
      const idle = threads();
      const killed = await importUntil(server, 500, (cli) => cli.kill('SIGKILL'));
      expect(killed.signal).toBe('SIGKILL');
      // The server notices, ends that import and stops its verifier threads.
      for (let i = 0; i < 50 && threads() > idle; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(threads()).toBeLessThanOrEqual(idle);
      const present = await inventory(server);
      expect(present.length).toBeGreaterThanOrEqual(500);
      expect(present.length).toBeLessThan(COUNT);
      // Interrupted: the devices so far carry no file hash yet.
      expect(present.every((d) => d.provenance?.fileSha256 === null)).toBe(true);
      await runAgainAndCheck(server, present.length);
    } finally {
      await server.stop();
      data.remove();
    }
  }, 120_000);

  it('when the server is killed part-way', async () => {
    const data = tempDir();
    let server = await serverWithMaker(data.path);
    try {
      addMaker(server);
      const cut = await importUntil(server, 500, () => void server.kill());
      expect(cut.code).not.toBe(0);
      expect(cut.stderr).not.toMatch(STACK_TRACE);
      expect(cut.stderr.split('\n').filter((l) => l.startsWith('deed: '))).toHaveLength(1);
      server = await serverWithMaker(data.path);
      const present = await inventory(server);
      expect(present.length).toBeGreaterThanOrEqual(500);
      expect(present.length).toBeLessThan(COUNT);
      await runAgainAndCheck(server, present.length);
    } finally {
      await server.stop();
      data.remove();
    }
  }, 120_000);
});
