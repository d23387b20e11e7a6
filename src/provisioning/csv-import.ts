import { finished } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { DEVICE_FIELDS, checkDeviceFieldOptions, deviceEntryFromFields, type DeviceField, type DeviceFieldOptions } from './device-fields.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { ImportFileError } from './errors.js';
import { rejected, type ImportItem } from './import-entry.js';
import { byteChunks, type ImportSource } from './import-source.js';

/** Default largest CSV record, in characters. */
export const DEFAULT_MAX_CSV_RECORD = 1024 * 1024;

/** How many bytes are read to find the header line before choosing the delimiter. */
const HEADER_PEEK_BYTES = 64 * 1024;

/** Options of {@link readCsvDevices}. */
export interface ReadCsvOptions extends DeviceFieldOptions {
  /** Largest record, in characters; a longer one stops the file (`malformed_file`). Default 1 MiB. */
  readonly maxRecordBytes?: number;
}

/**
 * The delimiter of a CSV file from its header line: `;` when the line has more semicolons than
 * commas outside quotes, `,` otherwise (also for a one-column header).
 */
export function detectCsvDelimiter(head: Uint8Array): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const b of head) {
    if (b === 0x0a || b === 0x0d) {
      if (!quoted) break;
    } else if (b === 0x22) quoted = !quoted;
    else if (!quoted && b === 0x2c) commas += 1;
    else if (!quoted && b === 0x3b) semicolons += 1;
  }
  return semicolons > commas ? ';' : ',';
}

function csvFileError(error: CsvError, maxRecord: number): ImportFileError {
  // csv-parse messages may quote cell content: build our own, with the line number only.
  const line = typeof error['lines'] === 'number' ? (error['lines'] as number) : undefined;
  const at = line === undefined ? '' : ` at line ${line}`;
  const details = line === undefined ? {} : { line };
  switch (error.code) {
    case 'CSV_MAX_RECORD_SIZE':
      return new ImportFileError('malformed_file', `CSV record${at} is longer than ${maxRecord} characters`, details);
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ImportFileError('malformed_file', `CSV quoted field is never closed (reached the end of the file${at})`, details);
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new ImportFileError('malformed_file', `CSV has a misplaced quote${at}`, details);
    default:
      return new ImportFileError('malformed_file', `not valid CSV${at} (${error.code})`, details);
  }
}

/** The source again, with the bytes already read in front. */
async function* replay(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

function countNewlines(record: readonly string[]): number {
  let n = 0;
  for (const cell of record) for (let p = cell.indexOf('\n'); p !== -1; p = cell.indexOf('\n', p + 1)) n += 1;
  return n;
}

/** Column index of each known field in the header. */
function headerColumns(header: readonly string[], line: number): Map<DeviceField, number> {
  const known = new Set<string>(DEVICE_FIELDS);
  const columns = new Map<DeviceField, number>();
  header.forEach((cell, col) => {
    const name = cell.trim().toLowerCase();
    if (!known.has(name)) return;
    if (columns.has(name as DeviceField)) {
      throw new ImportFileError('malformed_file', `CSV header (line ${line}) has the column ${name} twice`, { line });
    }
    columns.set(name as DeviceField, col);
  });
  if (!columns.has('dev_eui')) {
    const found = header.slice(0, 20).map((cell) => cell.trim().slice(0, 40)).join(', ');
    throw new ImportFileError('missing_column', `CSV header (line ${line}) has no dev_eui column (found: ${found || 'nothing'})`, { line });
  }
  return columns;
}

/**
 * Streams devices from a CSV file in The Things Stack's layout, one {@link ImportItem} per data row.
 *
 * - The first non-empty line is the header; names are trimmed and case-insensitive: `dev_eui`
 *   (required), `join_eui` or `app_eui`, `app_key`, `nwk_key`, `name`, `lorawan_version`
 *   (`1.0.3` or `MAC_V1_0_3`), `vendor_id`, `vendor_profile_id`, `claim_authentication_code`.
 *   Other columns are ignored.
 * - The delimiter (`,` or `;`) is detected from the header line; a UTF-8 BOM is dropped; cells are
 *   trimmed; empty lines and rows whose cells are all empty are skipped.
 * - `index` is the 0-based data row; reasons say `row <index> (line <n>)`. A row with a bad value
 *   or a DevEUI already seen is rejected, the rest go on.
 *
 * @throws ImportFileError `missing_column` (no `dev_eui` header) or `malformed_file` (empty file,
 *   broken quoting, a record over `maxRecordBytes`), after the rows before it were yielded.
 * @throws InvalidInputError `invalid_input` for a bad `defaultJoinEui` option, before reading
 */
export async function* readCsvDevices(source: ImportSource, options: ReadCsvOptions = {}): AsyncGenerator<ImportItem> {
  const fieldOptions = checkDeviceFieldOptions(options);
  const maxRecord = options.maxRecordBytes ?? DEFAULT_MAX_CSV_RECORD;

  // Read up to the end of the header line (or HEADER_PEEK_BYTES) to choose the delimiter.
  const chunks = byteChunks(source)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < HEADER_PEEK_BYTES) {
    const next = await chunks.next();
    if (next.done === true) break;
    head.push(next.value);
    headBytes += next.value.length;
    if (next.value.includes(0x0a)) break;
  }
  const delimiter = detectCsvDelimiter(Buffer.concat(head, headBytes));

  // csv-parse is driven by hand: each chunk is written and awaited, and records are taken in
  // `on_record` (and not pushed), so the rows parsed before a CSV syntax error are still yielded
  // (a stream iterator would drop its buffer when the parser fails).
  const parsed: { record: string[]; line: number }[] = [];
  const parser = parse({
    delimiter,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    relax_column_count: true,
    max_record_size: maxRecord,
    on_record: (record: string[], context: { lines: number }) => {
      parsed.push({ record, line: context.lines - countNewlines(record) });
      return undefined;
    },
  });
  parser.on('error', () => {
    // Reported through the write callback / finished() below.
  });
  parser.resume();
  const write = (chunk: Buffer): Promise<Error | null | undefined> =>
    new Promise((resolve) => {
      parser.write(chunk, resolve);
    });

  const duplicates = new DuplicateFilter('row');
  let columns: Map<DeviceField, number> | undefined;
  let width = 0;
  let index = 0;
  function* rows(): Generator<ImportItem> {
    for (const { record, line } of parsed) {
      if (columns === undefined) {
        columns = headerColumns(record, line);
        width = record.length;
        continue;
      }
      const known = columns;
      const where = `row ${index} (line ${line})`;
      if (record.length > width && record.slice(width).some((cell) => cell !== '')) {
        yield rejected(index, 'malformed_entry', `${where}: has ${record.length} cells but the header has ${width} columns`);
      } else {
        const get = (field: DeviceField): unknown => {
          const col = known.get(field);
          return col === undefined ? undefined : record[col];
        };
        yield duplicates.check(deviceEntryFromFields(index, get, where, fieldOptions));
      }
      index += 1;
    }
    parsed.length = 0;
  }

  let failure: unknown;
  try {
    for await (const chunk of replay(head, chunks)) {
      failure = await write(chunk);
      yield* rows();
      if (failure) break;
    }
    if (!failure) {
      parser.end();
      failure = await finished(parser).then(
        () => undefined,
        (error: unknown) => error,
      );
      yield* rows();
    }
  } finally {
    parser.destroy();
  }
  if (failure instanceof CsvError) throw csvFileError(failure, maxRecord);
  if (failure) throw failure;
  if (columns === undefined) throw new ImportFileError('malformed_file', 'the CSV file is empty: no header line');
}
