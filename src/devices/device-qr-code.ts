import type { AccountRecord } from '../accounts/account.js';
import { Eui64, formatDeviceQr } from '../lorawan/index.js';
import { DeedError } from '../shared/deed-error.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { mayHandleOwnerToken, parseDevEui, relationOf, resolveDevice, type DeviceRelation } from './device-access.js';
import type { DeviceRecord } from './device.js';
import { openOwnerToken, type DeviceAdminDeps } from './manage-devices.js';

/**
 * TR005 QR codes for device labels: the text a maker prints on its devices (or an owner on a
 * hand-over label), carrying the owner token. Rendering the text as PNG, SVG or a label sheet is
 * the transports' business (`src/qr/`).
 */

/** What building QR codes needs: the device and application stores and the key vault (to open owner tokens). */
export type DeviceQrDeps = Pick<DeviceAdminDeps, 'devices' | 'applications' | 'vault'>;

/**
 * Written for the VendorID or the profile id when the device's is unknown: a TR005 code must
 * carry a ProfileID, so an unknown one is all zeros (`00000000` when both are unknown).
 */
export const UNKNOWN_PROFILE_HALF = '0000';

/** Most devices one label sheet takes. */
export const MAX_QR_SHEET_DEVICES = 1000;

/** The device has no owner token, so its QR code could not claim it: set or regenerate one first. */
export class NoOwnerTokenError extends DeedError {
  constructor(devEui: string) {
    super(
      'no_owner_token',
      `device ${devEui} has no owner token, so a QR code could not claim it; set or regenerate one first (PUT /api/v1/devices/${devEui}/owner-token)`,
      { devEui },
    );
    this.name = 'NoOwnerTokenError';
  }
}

/** One device's QR code. */
export interface DeviceQrCode {
  readonly devEui: string;
  /** The device's name, for a caption; null when it has none. */
  readonly name: string | null;
  /**
   * TR005 text `LW:D0:<JoinEUI>:<DevEUI>:<VendorID><ProfileID>:O<owner token>[:S<serial>]`.
   * A secret: it carries the owner token; never log it.
   */
  readonly text: string;
}

/**
 * The TR005 QR code of one device, with its owner token: resolve the device (NotFoundError for
 * unknown DevEUIs and other tenants' devices alike), check that the owner token is the account's
 * business, open it and write the text.
 *
 * @throws InvalidInputError (`invalid_input`) for a malformed DevEUI, NotFoundError, ForbiddenError
 *   when the token belongs to someone else (a maker's claimed device), NoOwnerTokenError
 */
export async function deviceQrCode(deps: DeviceQrDeps, actor: AccountRecord, devEuiInput: unknown): Promise<DeviceQrCode> {
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  return qrCodeOf(deps, device, relation);
}

/**
 * The QR codes of several devices, in the order given (a DevEUI given twice yields two codes),
 * for a label sheet. All or nothing: the first device that {@link deviceQrCode} would refuse
 * fails the whole call, naming its DevEUI.
 *
 * @param devEuisInput an array of 1 to {@link MAX_QR_SHEET_DEVICES} DevEUIs
 * @throws as {@link deviceQrCode}, and InvalidInputError (field `devEuis`) for a list that is not
 *   an array, is empty or too long
 */
export async function deviceQrCodes(deps: DeviceQrDeps, actor: AccountRecord, devEuisInput: unknown): Promise<DeviceQrCode[]> {
  const devEuis = parseDevEuiList(devEuisInput);
  const unique = [...new Set(devEuis)];
  const found = new Map((await deps.devices.getMany(unique)).map((device) => [device.devEui, device]));
  const access = { applications: memoizedApplications(deps.applications) };
  const codes = new Map<string, DeviceQrCode>();
  for (const devEui of unique) {
    const device = found.get(devEui);
    const relation = device === undefined ? null : await relationOf(access, actor, device);
    // As resolveDevice: another tenant's device is reported exactly like an unknown one.
    if (device === undefined || relation === null) throw new NotFoundError(`no device with DevEUI ${devEui}`);
    codes.set(devEui, qrCodeOf(deps, device, relation));
  }
  return devEuis.map((devEui) => codes.get(devEui) as DeviceQrCode);
}

/** `checkTokenAccess → openOwnerToken → formatDeviceQr`. */
function qrCodeOf(deps: DeviceQrDeps, device: DeviceRecord, relation: DeviceRelation): DeviceQrCode {
  if (!mayHandleOwnerToken(relation, device)) {
    throw new ForbiddenError(device.applicationId === null
      ? `the owner token of unclaimed device ${device.devEui} belongs to its maker`
      : `device ${device.devEui} is claimed: its owner token, and so its QR code, belong to the owner holding it`);
  }
  const ownerToken = openOwnerToken(deps, device);
  if (ownerToken === null) throw new NoOwnerTokenError(device.devEui);
  const serialNumber = device.secureElement?.uniqueId;
  const text = formatDeviceQr({
    format: 'tr005',
    joinEui: Eui64.fromHex(device.joinEui),
    devEui: Eui64.fromHex(device.devEui),
    vendorId: device.vendorId ?? UNKNOWN_PROFILE_HALF,
    profileId: device.vendorProfileId ?? UNKNOWN_PROFILE_HALF,
    ownerToken,
    ...(serialNumber !== undefined ? { serialNumber } : {}),
  });
  return { devEui: device.devEui, name: device.name, text };
}

function parseDevEuiList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidInputError('devEuis: expected a non-empty array of DevEUIs', 'devEuis');
  }
  if (value.length > MAX_QR_SHEET_DEVICES) {
    throw new InvalidInputError(
      `devEuis: at most ${MAX_QR_SHEET_DEVICES} devices per label sheet, got ${value.length}; split the list`, 'devEuis',
    );
  }
  return value.map((item: unknown, index) => {
    try {
      return parseDevEui(item);
    } catch (err) {
      if (err instanceof InvalidInputError) {
        throw new InvalidInputError(`devEuis[${index}]: ${err.message.replace(/^devEui: /, '')}`, 'devEuis');
      }
      throw err;
    }
  });
}

/** One lookup per application within a call: a sheet's devices mostly share a few. */
function memoizedApplications(applications: DeviceQrDeps['applications']): DeviceQrDeps['applications'] {
  const seen = new Map<string, ReturnType<DeviceQrDeps['applications']['get']>>();
  return {
    get(id) {
      let found = seen.get(id);
      if (found === undefined) {
        found = applications.get(id);
        seen.set(id, found);
      }
      return found;
    },
  };
}
