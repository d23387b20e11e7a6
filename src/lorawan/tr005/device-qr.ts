import type { Eui64 } from '../eui64.js';

/**
 * Which text format a device QR code was read from.
 *
 * - `tr005`: LoRa Alliance TR005 final, `LW:D0:<JoinEUI>:<DevEUI>:<ProfileID>[:<tag><value>]…`.
 * - `tr005-draft2`: `URN:LW:DP:<JoinEUI>:<DevEUI>:<ProfileID>[:%V<code>%S<serial>%P<prop>]`.
 * - `tr005-draft3`: `URN:DEV:LW:<JoinEUI>_<DevEUI>_<ProfileID>[_V<code>_S<serial>_P<prop>]`.
 * - `dev-eui-only`: a bare 16-hex-digit DevEUI (cannot claim: no JoinEUI and no code).
 */
export type DeviceQrFormat = 'tr005' | 'tr005-draft2' | 'tr005-draft3' | 'dev-eui-only';

/** Every {@link DeviceQrFormat}, in the order {@link parseDeviceQr} tries them. */
export const DEVICE_QR_FORMATS: readonly DeviceQrFormat[] = Object.freeze([
  'tr005',
  'tr005-draft2',
  'tr005-draft3',
  'dev-eui-only',
]);

/**
 * The content of a device identification QR code (LoRa Alliance TR005 or one of its drafts).
 *
 * Optional string fields are absent (not empty) when the code does not carry them. Values never
 * contain `:`, and are printable ASCII without spaces.
 */
export interface DeviceQr {
  /** The text format the code was read from; {@link formatDeviceQr} always writes `tr005`. */
  readonly format: DeviceQrFormat;
  /** JoinEUI (AppEUI in LoRaWAN 1.0). `null` only for `dev-eui-only`. */
  readonly joinEui: Eui64 | null;
  /** DevEUI. */
  readonly devEui: Eui64;
  /** LoRa Alliance VendorID: 4 upper-case hex digits (first half of the ProfileID). `null` only for `dev-eui-only`. */
  readonly vendorId: string | null;
  /** The vendor's profile (model) id: 4 upper-case hex digits (second half of the ProfileID). `null` only for `dev-eui-only`. */
  readonly profileId: string | null;
  /**
   * TR005 `C` extension, kept as an opaque string and NOT verified: the TR005 checksum algorithm
   * is not pinned down well enough to reject labels on it (The Things Stack does the same).
   */
  readonly checksum?: string;
  /** TR005 `O` extension (`V` in the drafts): the owner token, a.k.a. claim authentication code. A secret. */
  readonly ownerToken?: string;
  /** TR005 `S` extension: the serial number. */
  readonly serialNumber?: string;
  /** TR005 `P` extension: vendor-proprietary data. */
  readonly proprietary?: string;
}

/** Largest accepted QR code text, in UTF-8 bytes after trimming surrounding whitespace. */
export const MAX_DEVICE_QR_BYTES = 1024;
