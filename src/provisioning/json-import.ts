import { checkDeviceFieldOptions, deviceEntryFromFields, type DeviceField, type DeviceFieldOptions } from './device-fields.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { rejected, type ImportItem } from './import-entry.js';
import type { ImportSource } from './import-source.js';
import { DEFAULT_MAX_ELEMENT_BYTES, splitJsonArray } from './json-array-splitter.js';

/** Options of {@link readJsonDevices}. */
export interface ReadJsonOptions extends DeviceFieldOptions {
  /** Largest entry kept, in bytes; bigger ones are rejected (`entry_too_large`). Default 1 MiB. */
  readonly maxEntryBytes?: number;
}

/**
 * Streams devices from a JSON array of objects whose members are the CSV field names
 * (`dev_eui`, `join_eui` / `app_eui`, `app_key`, `nwk_key`, `name`, `lorawan_version`,
 * `vendor_id`, `vendor_profile_id`, `claim_authentication_code`; exact, lower-case names; other
 * members ignored), one {@link ImportItem} per element. Values are strings; `vendor_id` and
 * `vendor_profile_id` may also be integers; `null` counts as absent. An element that is not an
 * object, not valid JSON, too large, has a wrongly typed or invalid field, or repeats a DevEUI is
 * rejected with its index; the rest go on.
 *
 * @throws ImportFileError `malformed_file` (with the byte offset) when the file is not a JSON
 *   array or is truncated, after every entry complete before that point was yielded.
 * @throws InvalidInputError `invalid_input` for a bad `defaultJoinEui` option, before reading
 */
export async function* readJsonDevices(source: ImportSource, options: ReadJsonOptions = {}): AsyncGenerator<ImportItem> {
  const fieldOptions = checkDeviceFieldOptions(options);
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  const duplicates = new DuplicateFilter('entry');
  for await (const element of splitJsonArray(source, { maxElementBytes: maxBytes })) {
    const where = `entry ${element.index} (byte ${element.offset})`;
    if (element.kind === 'too_large') {
      yield rejected(element.index, 'entry_too_large', `${where}: ${element.size} bytes, over the ${maxBytes}-byte limit; skipped`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(element.text);
    } catch {
      yield rejected(element.index, 'malformed_entry', `${where}: not valid JSON`);
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      yield rejected(element.index, 'malformed_entry', `${where}: must be a JSON object`);
      continue;
    }
    const object = raw as Record<string, unknown>;
    const get = (field: DeviceField): unknown => (Object.hasOwn(object, field) ? object[field] : undefined);
    yield duplicates.check(deviceEntryFromFields(element.index, get, where, fieldOptions));
  }
}
