import type { DeviceRecord, ImportFormat } from './device.js';

/**
 * What the API and CLI show of a device: an allow-list. Root keys appear only in the answer of
 * an export (`rootKeys`), the owner token only to whom it concerns (see device-access.ts),
 * nonces only when asked for.
 */
export interface DeviceView {
  readonly devEUI: string;
  /** Present (possibly null) when the viewer may see the owner token. */
  readonly ownerToken?: string | null;
  readonly ownerTokenValidFrom?: string | null;
  readonly ownerTokenValidTo?: string | null;
  readonly rootKeysExposed: boolean;
  readonly rootKeysExposedAt: string | null;
  readonly rootKeysExposedBy: string | null;
  readonly joinEUI: string;
  readonly name: string | null;
  readonly macVersion: string;
  /** `unclaimed` (in the maker's inventory) or `claimed` (in an application). */
  readonly state: 'unclaimed' | 'claimed';
  readonly applicationId: string | null;
  readonly claimedAt: string | null;
  readonly locked: boolean;
  /** Label of the AS KEK a claim set for this device (never the key). */
  readonly asKekLabel: string | null;
  /** Which root keys are in custody (never the keys). */
  readonly rootKeysAvailable: { readonly appKey: boolean; readonly nwkKey: boolean };
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly resetsJoinNonces: boolean;
  readonly vendorId: string | null;
  readonly vendorProfileId: string | null;
  readonly secureElement: {
    readonly uniqueId: string; readonly model: string; readonly partNumber: string;
    readonly signerKid: string; readonly generation: 'B' | 'C';
  } | null;
  readonly provenance: {
    readonly format: ImportFormat; readonly fileSha256: string | null; readonly importedBy: string; readonly importedAt: string;
  } | null;
  readonly nonces?: NoncesView;
  readonly rootKeys?: { readonly appKey: string | null; readonly nwkKey: string | null };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** LoRaWAN nonce state, for `--nonces`. */
export interface NoncesView {
  readonly nextJoinNonce: number;
  readonly usedDevNonces: readonly number[];
  /** The last DevNonce accepted (the counter of LoRaWAN 1.0.4+ devices); null before the first join. */
  readonly lastDevNonce: number | null;
}

/** What to add to the allow-listed fields. */
export interface DeviceViewExtras {
  /** The opened owner token (null when none is set); left out when undefined. */
  readonly ownerToken?: string | null;
  readonly nonces?: boolean;
  readonly rootKeys?: { readonly appKey: string | null; readonly nwkKey: string | null };
}

/** Projects a stored device onto its public view. */
export function toDeviceView(device: DeviceRecord, extras: DeviceViewExtras = {}): DeviceView {
  const token = extras.ownerToken === undefined ? {} : {
    ownerToken: extras.ownerToken,
    ownerTokenValidFrom: device.ownerTokenValidFrom?.toISOString() ?? null,
    ownerTokenValidTo: device.ownerTokenValidTo?.toISOString() ?? null,
  };
  const fileSha256 = device.provenance?.fileSha256;
  return {
    devEUI: device.devEui,
    ...token,
    rootKeysExposed: device.rootKeysExposed !== null,
    rootKeysExposedAt: device.rootKeysExposed?.at.toISOString() ?? null,
    rootKeysExposedBy: device.rootKeysExposed?.by ?? null,
    joinEUI: device.joinEui,
    name: device.name,
    macVersion: device.macVersion,
    state: device.applicationId === null ? 'unclaimed' : 'claimed',
    applicationId: device.applicationId,
    claimedAt: device.claimedAt?.toISOString() ?? null,
    locked: device.claimLocked,
    asKekLabel: device.asKek?.label ?? null,
    rootKeysAvailable: { appKey: device.appKey !== null, nwkKey: device.nwkKey !== null },
    homeNetId: device.homeNetId,
    homeNsId: device.homeNsId,
    asId: device.asId,
    resetsJoinNonces: device.resetsJoinNonces,
    vendorId: device.vendorId,
    vendorProfileId: device.vendorProfileId,
    secureElement: device.secureElement,
    provenance: device.provenance === null ? null : {
      format: device.provenance.format,
      // Set when the import finished reading the file; a `pending:` marker means it was interrupted.
      fileSha256: fileSha256 !== undefined && /^[0-9a-f]{64}$/.test(fileSha256) ? fileSha256 : null,
      importedBy: device.provenance.importedBy,
      importedAt: device.createdAt.toISOString(),
    },
    ...(extras.nonces === true ? {
      nonces: {
        nextJoinNonce: device.lastJoinNonce + 1,
        usedDevNonces: device.usedDevNonces,
        lastDevNonce: device.lastDevNonce,
      },
    } : {}),
    ...(extras.rootKeys !== undefined ? { rootKeys: extras.rootKeys } : {}),
    createdAt: device.createdAt.toISOString(),
    updatedAt: device.updatedAt.toISOString(),
  };
}
