import type { AesKey, MacVersion } from '../lorawan/index.js';
import type { ImportErrorCode } from './errors.js';

/** Secure-element generations the Microchip TNGLORA manifest reader recognises. */
export type SecureElementGeneration = 'B' | 'C';

/** Where a device imported from a Microchip manifest came from. Not secret. */
export interface SecureElementInfo {
  /** Secure element serial number: 18 lower-case hex digits, from the *signed* payload. */
  readonly uniqueId: string;
  /** Payload `model`, e.g. `ATECC608A`. */
  readonly model: string;
  /** Payload `partNumber`, e.g. `ATECC608A-MAHT3`. */
  readonly partNumber: string;
  /** JWS `kid` of the Microchip Log Signer that signed the entry. */
  readonly signerKid: string;
  /** Device certificate layout the DevEUI was read from. */
  readonly generation: SecureElementGeneration;
}

/**
 * One device read from an import file (Microchip manifest, CSV or JSON), validated but not yet
 * stored. Optional fields are absent, never `undefined`. Keys are {@link AesKey}s, which print
 * `[redacted]` everywhere.
 */
export interface ImportEntry {
  /** 0-based position in the file (array element, or CSV data row). */
  readonly index: number;
  /** 16 upper-case hex digits, never zero. */
  readonly devEui: string;
  /** 16 upper-case hex digits. */
  readonly joinEui: string;
  readonly name?: string;
  readonly appKey?: AesKey;
  readonly nwkKey?: AesKey;
  readonly macVersion?: MacVersion;
  /** LoRa Alliance VendorID: 4 upper-case hex digits (TR005 ProfileID, first half). */
  readonly vendorId?: string;
  /** The vendor's profile id: 4 upper-case hex digits (TR005 ProfileID, second half). */
  readonly vendorProfileId?: string;
  /** The claim authentication code (TR005 owner token). A secret: never log it. */
  readonly ownerToken?: string;
  /** Present for entries from a Microchip manifest. */
  readonly secureElement?: SecureElementInfo;
}

/** An entry that was accepted. */
export interface ImportAccepted {
  readonly ok: true;
  readonly entry: ImportEntry;
}

/**
 * An entry that was rejected. `reason` is for humans: it names the field and never echoes key
 * material or owner tokens. `devEui` is set when it is known and trustworthy (a CSV/JSON row with
 * a valid DevEUI, or a manifest entry whose signature verified).
 */
export interface ImportRejected {
  readonly ok: false;
  readonly index: number;
  readonly code: ImportErrorCode;
  readonly reason: string;
  readonly devEui?: string;
}

/** One result per entry of an import file, in file order. Bad entries never throw. */
export type ImportItem = ImportAccepted | ImportRejected;

/** Builds a rejected {@link ImportItem}; `devEui` is left out when not given. */
export function rejected(index: number, code: ImportErrorCode, reason: string, devEui?: string): ImportRejected {
  return devEui === undefined ? { ok: false, index, code, reason } : { ok: false, index, code, reason, devEui };
}

/** Builds an accepted {@link ImportItem}. */
export function accepted(entry: ImportEntry): ImportAccepted {
  return { ok: true, entry };
}
