import { randomUUID } from 'node:crypto';
import type { AccountRecord } from '../accounts/account.js';
import type { ApplicationRecord } from '../applications/application.js';
import { DeedError } from '../shared/deed-error.js';
import type { NewAuditEvent } from '../audit/audit-event.js';
import type { DeviceRecord, DeviceStore, ImportFormat, NewDevice, Sealed } from '../devices/device.js';
import { generateOwnerToken } from '../devices/owner-token.js';
import { sealContext } from '../keyvault/seal-context.js';
import { ForbiddenError, InvalidInputError } from '../shared/errors.js';
import { readCsvDevices } from './csv-import.js';
import type { ImportEntry, ImportItem } from './import-entry.js';
import { hashedSource, type ImportSource } from './import-source.js';
import { readJsonDevices } from './json-import.js';
import { readMicrochipManifestInParallel } from './manifest-verifier-pool.js';
import type { TrustedSigners } from './trusted-signers.js';
import { ImportFileError } from './errors.js';

/** The import formats, as `deed import -f` and the API name them. */
export const IMPORT_FORMATS: readonly ImportFormat[] = Object.freeze(['microchip-atecc608', 'csv', 'json'] as const);

/** What importing needs. */
export interface ImportDeps {
  readonly devices: DeviceStore;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed; open(sealed: Sealed, context: string): Uint8Array };
  readonly signers: TrustedSigners;
  readonly random: { bytes(n: number): Uint8Array };
  readonly ownerTokenLength: number;
  /** Worker threads verifying Microchip manifest entries; 0 for none (default: see defaultVerifyThreads). */
  readonly verifyThreads?: number;
}

/** One import run. */
export interface ImportRequest {
  readonly format: unknown;
  readonly source: ImportSource;
  readonly actor: AccountRecord;
  /** Validate everything, write nothing. */
  readonly dryRun?: boolean;
  /** JoinEUI for CSV/JSON rows that have none. */
  readonly defaultJoinEui?: string;
  /** Entries written per transaction; 250 by default. */
  readonly batchSize?: number;
  /**
   * Import straight into an application (an owner who received the file from the maker): new
   * devices are created claimed by it, devices already registered are claimed with their row's
   * claim authentication code through `claim`.
   */
  readonly target?: ImportTarget;
}

/** Where an import into an application lands, and how it claims devices that exist already. */
export interface ImportTarget {
  readonly application: ApplicationRecord;
  /** Give every device a new claim authentication code (for a later hand-over) instead of the file's. */
  readonly setClaimCode: boolean;
  /** Claims an existing device with the entry's code; returns its new owner token, or throws a DeedError. */
  claim(entry: ImportEntry): Promise<{ ownerToken: string | null; rootKeysExposed: boolean }>;
}

/**
 * The result of one entry, in file order. A success carries the guide's fields (`devEUI`,
 * `ownerToken`, `rootKeysExposed`); an entry that was already imported by this account is a
 * success too (`alreadyImported`), so an interrupted import can simply be run again.
 */
export type ImportResult =
  | {
    readonly ok: true; readonly index: number; readonly devEUI: string; readonly ownerToken: string | null;
    readonly rootKeysExposed: boolean; readonly alreadyImported: boolean;
  }
  | { readonly ok: false; readonly index: number; readonly devEUI?: string; readonly code: string; readonly message: string };

/** Counts so far, for progress. */
export interface ImportProgress {
  readonly processed: number;
  readonly imported: number;
  readonly alreadyImported: number;
  readonly failed: number;
  readonly bytes: number;
}

/** What an import event stream yields: results in file order, progress after each batch, a summary at the end. */
export type ImportEvent =
  | { readonly type: 'result'; readonly result: ImportResult }
  | { readonly type: 'progress'; readonly progress: ImportProgress }
  | { readonly type: 'summary'; readonly progress: ImportProgress; readonly fileSha256: string; readonly dryRun: boolean };

function parseFormat(value: unknown): ImportFormat {
  if (!(IMPORT_FORMATS as readonly unknown[]).includes(value)) {
    throw new InvalidInputError(`format: expected one of ${IMPORT_FORMATS.join(', ')}`, 'format');
  }
  return value as ImportFormat;
}

function reader(deps: ImportDeps, format: ImportFormat, source: ImportSource, defaultJoinEui: string | undefined): AsyncGenerator<ImportItem> {
  const fieldOptions = defaultJoinEui === undefined ? {} : { defaultJoinEui };
  switch (format) {
    case 'microchip-atecc608':
      return readMicrochipManifestInParallel(source, deps.signers, deps.verifyThreads === undefined ? {} : { threads: deps.verifyThreads });
    case 'csv': return readCsvDevices(source, fieldOptions);
    case 'json': return readJsonDevices(source, fieldOptions);
  }
}

/**
 * Imports devices into the inventory of `actor` (a provisioner, or an admin), streaming: entries
 * are read, verified and written in batches (one transaction per batch, with one `device.import`
 * audit event per device created), so a file of any size runs in bounded memory. Each device gets
 * the owner token of its row (CSV/JSON `claim_authentication_code`) or a generated one, sealed at
 * rest. Provenance (format, importing account, file SHA-256) is recorded on every device; the
 * hash is known only at the end of the file, so devices carry a `pending:` marker until then.
 *
 * Bad entries are results, never exceptions. A file that cannot be read further throws
 * ImportFileError after the batches before it were written; running the import again is safe.
 */
export async function* importDevices(deps: ImportDeps, request: ImportRequest): AsyncGenerator<ImportEvent> {
  const format = parseFormat(request.format);
  const { actor } = request;
  if (actor.role === 'owner' && request.target === undefined) {
    throw new ForbiddenError('an owner imports into one of its applications (give applicationId); inventory imports are for provisioners and admins');
  }
  if (actor.role === 'provisioner' && request.target !== undefined) {
    throw new ForbiddenError('a provisioner imports into its inventory; owners import into applications');
  }
  const dryRun = request.dryRun === true;
  const batchSize = request.batchSize ?? 250;
  const hashed = hashedSource(request.source);
  const marker = `pending:${randomUUID()}`;
  const repairs: string[] = [];
  const progress = { processed: 0, imported: 0, alreadyImported: 0, failed: 0, bytes: 0 };
  let batch: ImportItem[] = [];

  async function* flush(): AsyncGenerator<ImportEvent> {
    const items = batch;
    batch = [];
    for (const result of await writeBatch(deps, items, { actor, format, marker, dryRun, repairs, target: request.target })) {
      progress.processed += 1;
      if (!result.ok) progress.failed += 1;
      else if (result.alreadyImported) progress.alreadyImported += 1;
      else progress.imported += 1;
      yield { type: 'result', result };
    }
    progress.bytes = hashed.bytes();
    yield { type: 'progress', progress: { ...progress } };
  }

  try {
    for await (const item of reader(deps, format, hashed.source, request.defaultJoinEui)) {
      batch.push(item);
      if (batch.length >= batchSize) yield* flush();
    }
  } catch (error) {
    if (batch.length > 0) yield* flush();
    if (!dryRun && error instanceof ImportFileError) {
      // The devices written so far stay; their provenance says the file was not read to the end.
    }
    throw error;
  }
  if (batch.length > 0) yield* flush();
  const fileSha256 = hashed.sha256();
  if (!dryRun) await deps.devices.finishImport(marker, repairs, fileSha256);
  progress.bytes = hashed.bytes();
  yield { type: 'summary', progress: { ...progress }, fileSha256, dryRun };
}

interface BatchContext {
  readonly actor: AccountRecord;
  readonly format: ImportFormat;
  readonly marker: string;
  readonly dryRun: boolean;
  /** DevEUIs already imported by an interrupted run (still `pending:`), to stamp with this file's hash. */
  readonly repairs: string[];
  readonly target: ImportTarget | undefined;
}

function failure(index: number, code: string, message: string, devEui?: string): ImportResult {
  return devEui === undefined ? { ok: false, index, code, message } : { ok: false, index, devEUI: devEui, code, message };
}

function openKey(deps: ImportDeps, device: DeviceRecord, field: 'appKey' | 'nwkKey'): string | null {
  const sealed = device[field];
  return sealed === null ? null : Buffer.from(deps.vault.open(sealed, sealContext.deviceKey(device.devEui, field))).toString('hex');
}

/** Whether `existing` is the device `entry` describes, imported earlier by the same account. */
function sameDevice(deps: ImportDeps, existing: DeviceRecord, entry: ImportEntry, actor: AccountRecord): boolean {
  if (existing.provisionerId !== (actor.role === 'provisioner' ? actor.id : null)) return false;
  if (existing.provenance === null || existing.devEui !== entry.devEui || existing.joinEui !== entry.joinEui) return false;
  if ((existing.secureElement?.uniqueId ?? null) !== (entry.secureElement?.uniqueId ?? null)) return false;
  if (entry.appKey !== undefined && openKey(deps, existing, 'appKey') !== Buffer.from(entry.appKey.unsafeBytes()).toString('hex')) return false;
  if (entry.nwkKey !== undefined && openKey(deps, existing, 'nwkKey') !== Buffer.from(entry.nwkKey.unsafeBytes()).toString('hex')) return false;
  return true;
}

function openToken(deps: ImportDeps, device: DeviceRecord): string | null {
  return device.ownerToken === null ? null
    : Buffer.from(deps.vault.open(device.ownerToken, sealContext.ownerToken(device.devEui))).toString('utf8');
}

/**
 * The result for a device this account imported before. One an interrupted run left with a
 * `pending:` marker (found before inserting, or after losing an insert race to that run) gets
 * this file's hash at the end.
 */
function alreadyThere(deps: ImportDeps, index: number, device: DeviceRecord, ctx: BatchContext): ImportResult {
  if (device.provenance?.fileSha256.startsWith('pending:') === true) ctx.repairs.push(device.devEui);
  return {
    ok: true, index, devEUI: device.devEui, ownerToken: openToken(deps, device),
    rootKeysExposed: device.rootKeysExposed !== null, alreadyImported: true,
  };
}

function conflict(index: number, entry: ImportEntry, existing: DeviceRecord): ImportResult {
  const what = existing.devEui === entry.devEui ? `DevEUI ${entry.devEui}` : `secure element ${entry.secureElement?.uniqueId ?? ''}`;
  return failure(index, 'duplicate', `${what} is already registered (by another import or account, or with other keys)`, entry.devEui);
}

/** Checks a batch against the database and writes the new devices in one transaction. */
async function writeBatch(deps: ImportDeps, items: readonly ImportItem[], ctx: BatchContext): Promise<ImportResult[]> {
  const entries = items.filter((item): item is Extract<ImportItem, { ok: true }> => item.ok).map((item) => item.entry);
  const byDevEui = new Map((await deps.devices.getMany(entries.map((e) => e.devEui))).map((d) => [d.devEui, d]));
  const uniqueIds = entries.flatMap((e) => (e.secureElement === undefined ? [] : [e.secureElement.uniqueId]));
  const bySecureElement = new Map((await deps.devices.getBySecureElements(uniqueIds)).map((d) => [d.secureElement?.uniqueId ?? '', d]));

  const results = new Map<number, ImportResult>();
  const toCreate: { entry: ImportEntry; device: NewDevice; token: string }[] = [];
  for (const item of items) {
    if (!item.ok) {
      results.set(item.index, failure(item.index, item.code, item.reason, item.devEui));
      continue;
    }
    const { entry } = item;
    const existing = byDevEui.get(entry.devEui)
      ?? (entry.secureElement === undefined ? undefined : bySecureElement.get(entry.secureElement.uniqueId));
    if (existing !== undefined && ctx.target !== undefined) {
      results.set(entry.index, await claimExisting(deps, entry, existing, ctx, ctx.target));
      continue;
    }
    if (existing !== undefined) {
      if (!sameDevice(deps, existing, entry, ctx.actor)) {
        results.set(entry.index, conflict(entry.index, entry, existing));
      } else {
        results.set(entry.index, alreadyThere(deps, entry.index, existing, ctx));
      }
      continue;
    }
    const token = ctx.target?.setClaimCode === true ? generateOwnerToken(deps.random, deps.ownerTokenLength)
      : entry.ownerToken ?? generateOwnerToken(deps.random, deps.ownerTokenLength);
    toCreate.push({ entry, token, device: newDevice(deps, entry, token, ctx) });
  }

  if (ctx.dryRun) {
    for (const { entry, token } of toCreate) {
      results.set(entry.index, { ok: true, index: entry.index, devEUI: entry.devEui, ownerToken: token, rootKeysExposed: false, alreadyImported: false });
    }
  } else if (toCreate.length > 0) {
    const audit = (created: readonly DeviceRecord[]): NewAuditEvent[] => created.map((device) => ({
      actor: ctx.actor.username, action: 'device.import', devEui: device.devEui, outcome: 'success',
      details: {
        format: ctx.format,
        withRootKeys: device.appKey !== null || device.nwkKey !== null,
        ...(ctx.target !== undefined ? { applicationId: ctx.target.application.id } : {}),
        ...(device.secureElement !== null ? { uniqueId: device.secureElement.uniqueId, signerKid: device.secureElement.signerKid } : {}),
      },
    }));
    const outcomes = await deps.devices.insertMany(toCreate.map((c) => c.device), audit);
    const raced: typeof toCreate = [];
    toCreate.forEach((c, i) => {
      const outcome = outcomes[i];
      if (outcome?.created === true) {
        results.set(c.entry.index, { ok: true, index: c.entry.index, devEUI: c.entry.devEui, ownerToken: c.token, rootKeysExposed: false, alreadyImported: false });
      } else {
        raced.push(c);
      }
    });
    // Another import wrote some of these between the check and the insert: classify them now.
    if (raced.length > 0) {
      const now = new Map((await deps.devices.getMany(raced.map((c) => c.entry.devEui))).map((d) => [d.devEui, d]));
      for (const { entry } of raced) {
        const existing = now.get(entry.devEui);
        results.set(entry.index, existing !== undefined && sameDevice(deps, existing, entry, ctx.actor)
          ? alreadyThere(deps, entry.index, existing, ctx)
          : failure(entry.index, 'duplicate', `DevEUI ${entry.devEui} or its secure element is already registered`, entry.devEui));
      }
    }
  }
  return items.map((item) => {
    const index = item.ok ? item.entry.index : item.index;
    return results.get(index) ?? failure(index, 'internal', 'entry was not processed');
  });
}

/**
 * A device of an import into an application that is registered already: in that application,
 * it was imported before; elsewhere, it is claimed with the row's claim authentication code.
 */
async function claimExisting(deps: ImportDeps, entry: ImportEntry, existing: DeviceRecord, ctx: BatchContext, target: ImportTarget): Promise<ImportResult> {
  if (existing.applicationId === target.application.id) {
    return { ok: true, index: entry.index, devEUI: existing.devEui, ownerToken: openToken(deps, existing), rootKeysExposed: existing.rootKeysExposed !== null, alreadyImported: true };
  }
  if (ctx.dryRun) {
    return entry.ownerToken === undefined
      ? failure(entry.index, 'claim_failed', 'this device is registered already: its row needs its claim_authentication_code to claim it', entry.devEui)
      : { ok: true, index: entry.index, devEUI: existing.devEui, ownerToken: null, rootKeysExposed: existing.rootKeysExposed !== null, alreadyImported: false };
  }
  try {
    const claimed = await target.claim(entry);
    return { ok: true, index: entry.index, devEUI: existing.devEui, ownerToken: claimed.ownerToken, rootKeysExposed: claimed.rootKeysExposed, alreadyImported: false };
  } catch (error) {
    if (error instanceof DeedError) return failure(entry.index, error.code, error.message, entry.devEui);
    throw error;
  }
}

function newDevice(deps: ImportDeps, entry: ImportEntry, token: string, ctx: BatchContext): NewDevice {
  const seal = (key: ImportEntry['appKey'], field: 'appKey' | 'nwkKey') =>
    key === undefined ? null : deps.vault.seal(key.unsafeBytes(), sealContext.deviceKey(entry.devEui, field));
  return {
    devEui: entry.devEui,
    joinEui: entry.joinEui,
    // TNGLORA secure elements implement LoRaWAN 1.0.2; CSV/JSON rows without a version default to 1.0.3.
    macVersion: entry.macVersion ?? (entry.secureElement !== undefined ? '1.0.2' : '1.0.3'),
    appKey: seal(entry.appKey, 'appKey'),
    nwkKey: seal(entry.nwkKey, 'nwkKey'),
    homeNetId: null,
    homeNsId: null,
    asId: null,
    resetsJoinNonces: false,
    name: entry.name ?? null,
    vendorId: entry.vendorId ?? null,
    vendorProfileId: entry.vendorProfileId ?? null,
    secureElement: entry.secureElement ?? null,
    provenance: { format: ctx.format, fileSha256: ctx.marker, importedBy: ctx.actor.username },
    provisionerId: ctx.actor.role === 'provisioner' ? ctx.actor.id : null,
    ...(ctx.target !== undefined ? {
      applicationId: ctx.target.application.id,
      homeNetId: ctx.target.application.homeNetId,
      homeNsId: ctx.target.application.homeNsId,
      asId: ctx.target.application.asId,
    } : {}),
    ownerToken: deps.vault.seal(Buffer.from(token, 'utf8'), sealContext.ownerToken(entry.devEui)),
  };
}
