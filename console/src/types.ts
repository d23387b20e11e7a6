/** Shapes of the REST API's answers the console reads (see /openapi.json). */

export interface Device {
  readonly devEUI: string;
  readonly joinEUI: string;
  readonly name: string | null;
  readonly ownerToken?: string | null;
  readonly ownerTokenValidFrom?: string | null;
  readonly ownerTokenValidTo?: string | null;
  readonly rootKeysExposed: boolean;
  readonly rootKeysExposedAt: string | null;
  readonly rootKeysExposedBy: string | null;
  readonly macVersion: string;
  readonly state: 'unclaimed' | 'claimed';
  readonly applicationId: string | null;
  readonly claimedAt: string | null;
  readonly locked: boolean;
  readonly asKekLabel: string | null;
  readonly rootKeysAvailable: { readonly appKey: boolean; readonly nwkKey: boolean };
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly resetsJoinNonces: boolean;
  readonly vendorId: string | null;
  readonly vendorProfileId: string | null;
  readonly secureElement: {
    readonly uniqueId: string; readonly model: string; readonly partNumber: string; readonly signerKid: string; readonly generation: string;
  } | null;
  readonly provenance: { readonly format: string; readonly fileSha256: string | null; readonly importedBy: string; readonly importedAt: string } | null;
  readonly nonces?: { readonly nextJoinNonce: number; readonly usedDevNonces: readonly number[]; readonly lastDevNonce: number | null };
  readonly rootKeys?: { readonly appKey: string | null; readonly nwkKey: string | null };
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DevicePage {
  readonly devices: Device[];
  readonly next: string | null;
  readonly total: number;
}

export interface Application {
  readonly id: string;
  readonly name: string | null;
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly asKekLabel: string | null;
  readonly createdAt: string;
}

/** `GET /api/v1/devices/{devEui}/audit` (and `/api/v1/audit`). */
export interface AuditEvent {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly devEui: string | null;
  readonly outcome: 'success' | 'failure';
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly next: number | null;
}

export interface Account {
  readonly id: string;
  readonly username: string;
  readonly role: 'admin' | 'provisioner' | 'owner';
  readonly disabled: boolean;
  readonly createdAt: string;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: string[];
  readonly status: 'active' | 'revoked' | 'expired';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly key?: string;
}

export interface Peer {
  readonly id: string;
  readonly kind: 'ns' | 'as';
  readonly netId: string | null;
  readonly nsId: string | null;
  readonly asId: string | null;
  readonly authentication: { readonly token: boolean; readonly certFingerprint: string | null };
  readonly kekLabel: string | null;
  readonly applicationId: string | null;
  readonly createdAt: string;
  readonly token?: string;
}

/** One entry's result of an import (NDJSON `type: result`). */
export type ImportResult =
  | { readonly ok: true; readonly index: number; readonly devEUI: string; readonly ownerToken: string | null; readonly rootKeysExposed: boolean; readonly alreadyImported: boolean }
  | { readonly ok: false; readonly index: number; readonly devEUI?: string; readonly code: string; readonly message: string };

export interface ImportProgress {
  readonly processed: number;
  readonly imported: number;
  readonly alreadyImported: number;
  readonly failed: number;
  readonly bytes: number;
}

/** One row's result of a bulk claim. */
export type BulkClaimResult =
  | { readonly index: number; readonly ok: true; readonly devEUI: string; readonly ownerToken: string | null }
  | { readonly index: number; readonly ok: false; readonly devEUI?: string; readonly code: string; readonly message: string };
