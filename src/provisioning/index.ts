/**
 * Device import: parsing and verification of import files, streamed entry by entry.
 *
 * - Microchip ATECC608 TNGLORA manifests (JWS signed by a trusted Log Signer; DevEUI from the
 *   device certificate): {@link readMicrochipManifest}, {@link verifyManifestEntry}.
 * - The Things Stack style CSV and JSON device lists: {@link readCsvDevices}, {@link readJsonDevices}.
 *
 * Every reader is an async generator of {@link ImportItem}: bad entries are yielded as
 * `{ ok: false, index, code, reason }`, never thrown; only a file that cannot be read further
 * throws {@link ImportFileError}, after the entries complete before it. Storage, REST and CLI
 * wiring live elsewhere.
 */
export {
  ImportFileError,
  SignerCertificateError,
  type ImportErrorCode,
  type ImportFileErrorCode,
} from './errors.js';
export type {
  ImportAccepted,
  ImportEntry,
  ImportItem,
  ImportRejected,
  SecureElementGeneration,
  SecureElementInfo,
} from './import-entry.js';
export { hashedSource, type HashedSource, type ImportSource } from './import-source.js';
export { TrustedSigners, type TrustedSigner } from './trusted-signers.js';
export { MICROCHIP_SIGNER_PEMS, bundledSignerPems, microchipSigners } from './microchip-signers.js';
export {
  TNGLORA_JOIN_EUI,
  readMicrochipManifest,
  verifyManifestEntry,
  type ReadManifestOptions,
} from './microchip-manifest.js';
export { DEFAULT_MAX_CSV_RECORD, detectCsvDelimiter, readCsvDevices, type ReadCsvOptions } from './csv-import.js';
export { readJsonDevices, type ReadJsonOptions } from './json-import.js';
export {
  DEVICE_FIELDS,
  parseMacVersionText,
  type DeviceField,
  type DeviceFieldOptions,
} from './device-fields.js';
export {
  DEFAULT_MAX_ELEMENT_BYTES,
  splitJsonArray,
  type JsonArrayElement,
  type SplitJsonArrayOptions,
} from './json-array-splitter.js';
