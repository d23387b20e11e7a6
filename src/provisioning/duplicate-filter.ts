import { rejected, type ImportItem } from './import-entry.js';

/**
 * Rejects, within one file, an entry whose DevEUI or secure element (`uniqueId`) was already taken
 * by an earlier *accepted* entry (code `duplicate`; the first one wins). Keeps only the
 * identifiers, never the entries. Duplicates against the database are the caller's business.
 */
export class DuplicateFilter {
  readonly #devEuis = new Map<string, number>();
  readonly #uniqueIds = new Map<string, number>();
  readonly #noun: string;

  /** @param noun how messages name an earlier entry: `entry` (JSON) or `row` (CSV) */
  constructor(noun = 'entry') {
    this.#noun = noun;
  }

  /** Passes rejected items through; returns a `duplicate` rejection or records the accepted entry. */
  check(item: ImportItem): ImportItem {
    if (!item.ok) return item;
    const { index, devEui, secureElement } = item.entry;
    const firstDevEui = this.#devEuis.get(devEui);
    if (firstDevEui !== undefined) {
      return rejected(index, 'duplicate', `DevEUI ${devEui} already appears in ${this.#noun} ${firstDevEui} of this file`, devEui);
    }
    if (secureElement !== undefined) {
      const firstUniqueId = this.#uniqueIds.get(secureElement.uniqueId);
      if (firstUniqueId !== undefined) {
        return rejected(
          index,
          'duplicate',
          `secure element uniqueId ${secureElement.uniqueId} already appears in ${this.#noun} ${firstUniqueId} of this file`,
          devEui,
        );
      }
      this.#uniqueIds.set(secureElement.uniqueId, index);
    }
    this.#devEuis.set(devEui, index);
    return item;
  }
}
