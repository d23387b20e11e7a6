import { describe, expect, it } from 'vitest';
import type { AccountRecord, Role } from '../accounts/account.js';
import type { ApplicationRecord } from '../applications/application.js';
import { sealContext } from '../keyvault/seal-context.js';
import { parseDeviceQr } from '../lorawan/index.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { rejectedWith } from '../../test/support/thrown.js';
import type { DeviceRecord, DeviceStore, Sealed } from './device.js';
import { MAX_QR_SHEET_DEVICES, NoOwnerTokenError, deviceQrCode, deviceQrCodes, type DeviceQrDeps } from './device-qr-code.js';

const account = (id: string, role: Role): AccountRecord =>
  ({ id, username: id, passwordHash: 'x', role, disabled: false, createdAt: new Date(0) });

const ADMIN = account('admin', 'admin');
const MAKER = account('maker', 'provisioner');
const OTHER_MAKER = account('other-maker', 'provisioner');
const OWNER = account('owner', 'owner');
const STRANGER = account('stranger', 'owner');

/** A toy vault: "sealed" is the context and the plaintext; opening checks the context, as the real one does. */
const vault: DeviceQrDeps['vault'] = {
  seal: (plaintext, context) => `${context}|${Buffer.from(plaintext).toString('utf8')}` as Sealed,
  open: (sealed, context) => {
    const [sealedContext, plaintext] = sealed.split('|');
    if (sealedContext !== context) throw new Error('wrong seal context');
    return Buffer.from(plaintext ?? '', 'utf8');
  },
};

function device(devEui: string, fields: Partial<DeviceRecord> & { token?: string | null } = {}): DeviceRecord {
  const { token = 'C05EA29C', ...rest } = fields;
  return {
    devEui, joinEui: '70B3D57ED0000000', macVersion: '1.0.3', appKey: null, nwkKey: null,
    homeNetId: null, homeNsId: null, asId: null, resetsJoinNonces: false,
    lastDevNonce: null, usedDevNonces: [], lastJoinNonce: 0, version: 1, createdAt: new Date(0), updatedAt: new Date(0),
    name: null, vendorId: '42FF', vendorProfileId: 'FF42', secureElement: null, provenance: null,
    provisionerId: MAKER.id, applicationId: null,
    ownerToken: token === null ? null : vault.seal(Buffer.from(token), sealContext.ownerToken(devEui)),
    ownerTokenValidFrom: null, ownerTokenValidTo: null, claimLocked: false, rootKeysExposed: null, asKek: null, claimedAt: null,
    ...rest,
  };
}

function deps(devices: readonly DeviceRecord[]): DeviceQrDeps & { applicationLookups: string[] } {
  const byEui = new Map(devices.map((d) => [d.devEui, d]));
  const applications: ApplicationRecord[] = [
    { id: 'owner-app', ownerId: OWNER.id, name: null, homeNetId: null, homeNsId: null, asId: null, asKekLabel: null, createdAt: new Date(0) },
  ];
  const applicationLookups: string[] = [];
  const store: Pick<DeviceStore, 'get' | 'getMany'> = {
    get: async (devEui) => byEui.get(devEui) ?? null,
    getMany: async (devEuis) => devEuis.flatMap((devEui) => byEui.get(devEui) ?? []),
  };
  return {
    devices: store as DeviceStore,
    applications: {
      get: async (id) => {
        applicationLookups.push(id);
        return applications.find((a) => a.id === id) ?? null;
      },
    },
    vault,
    applicationLookups,
  };
}

const INVENTORY = device('4242FFFFFFFFFFFF');
const CLAIMED = device('4242FFFFFFFF0002', { applicationId: 'owner-app', token: 'HANDOVER' });
const BARE = device('4242FFFFFFFF0003', { vendorId: null, vendorProfileId: null, token: 'ABC' });
const SECURE = device('4242FFFFFFFF0004', {
  secureElement: { uniqueId: '0123ee1234567890ab', model: 'ATECC608B', partNumber: 'ATECC608B-TNGLORA', signerKid: 'k', generation: 'B' },
});
const NO_TOKEN = device('4242FFFFFFFF0005', { token: null });
const ALL = [INVENTORY, CLAIMED, BARE, SECURE, NO_TOKEN];

describe('deviceQrCode', () => {
  it('writes the TR005 text with the owner token for the maker of an unclaimed device', async () => {
    const code = await deviceQrCode(deps(ALL), MAKER, '4242ffffffffffff');
    expect(code).toEqual({
      devEui: '4242FFFFFFFFFFFF', name: null, text: 'LW:D0:70B3D57ED0000000:4242FFFFFFFFFFFF:42FFFF42:OC05EA29C',
    });
    expect(parseDeviceQr(code.text)).toMatchObject({ format: 'tr005', vendorId: '42FF', profileId: 'FF42', ownerToken: 'C05EA29C' });
  });

  it('writes ProfileID 00000000 when the vendor and profile are unknown, and the secure element as serial S', async () => {
    expect((await deviceQrCode(deps(ALL), MAKER, BARE.devEui)).text).toBe('LW:D0:70B3D57ED0000000:4242FFFFFFFF0003:00000000:OABC');
    const half = device('4242FFFFFFFF0006', { vendorProfileId: null });
    expect((await deviceQrCode(deps([half]), MAKER, half.devEui)).text).toMatch(/:42FF0000:O/);
    const secure = await deviceQrCode(deps(ALL), ADMIN, SECURE.devEui);
    expect(secure.text).toBe('LW:D0:70B3D57ED0000000:4242FFFFFFFF0004:42FFFF42:OC05EA29C:S0123ee1234567890ab');
    expect(parseDeviceQr(secure.text).serialNumber).toBe('0123ee1234567890ab');
  });

  it('gives the holder of a claimed device its QR code, and the admin any device\'s', async () => {
    expect((await deviceQrCode(deps(ALL), OWNER, CLAIMED.devEui)).text).toMatch(/:OHANDOVER$/);
    expect((await deviceQrCode(deps(ALL), ADMIN, CLAIMED.devEui)).text).toMatch(/:OHANDOVER$/);
    expect((await deviceQrCode(deps(ALL), ADMIN, INVENTORY.devEui)).text).toMatch(/:OC05EA29C$/);
  });

  it('refuses the maker a claimed device: the token now belongs to the owner', async () => {
    const error = await rejectedWith(ForbiddenError, deviceQrCode(deps(ALL), MAKER, CLAIMED.devEui));
    expect(error.message).toMatch(/claimed/);
    expect(error.message).not.toContain('HANDOVER');
  });

  it('answers not found for unknown devices and other tenants\' devices alike', async () => {
    for (const [who, devEui] of [
      [OTHER_MAKER, INVENTORY.devEui], [OWNER, INVENTORY.devEui], [STRANGER, CLAIMED.devEui], [MAKER, '0000000000000099'],
    ] as const) {
      const error = await rejectedWith(NotFoundError, deviceQrCode(deps(ALL), who, devEui));
      expect(error.message).toBe(`no device with DevEUI ${devEui}`);
    }
  });

  it('refuses a device without an owner token with no_owner_token, and a malformed DevEUI as invalid input', async () => {
    const error = await rejectedWith(NoOwnerTokenError, deviceQrCode(deps(ALL), MAKER, NO_TOKEN.devEui));
    expect(error.code).toBe('no_owner_token');
    expect(error.message).toMatch(/has no owner token/);
    expect((await rejectedWith(InvalidInputError, deviceQrCode(deps(ALL), MAKER, 'not-an-eui'))).details).toEqual({ field: 'devEui' });
  });
});

describe('deviceQrCodes', () => {
  it('returns codes in the order given, duplicates included, looking each application up once', async () => {
    const d = deps(ALL);
    const claimed2 = device('4242FFFFFFFF0007', { applicationId: 'owner-app' });
    const withSecond = deps([...ALL, claimed2]);
    const codes = await deviceQrCodes(d, MAKER, [SECURE.devEui, INVENTORY.devEui.toLowerCase(), SECURE.devEui]);
    expect(codes.map((c) => c.devEui)).toEqual([SECURE.devEui, INVENTORY.devEui, SECURE.devEui]);
    expect(codes[0]?.text).toBe(codes[2]?.text);
    await deviceQrCodes(withSecond, OWNER, [CLAIMED.devEui, claimed2.devEui]);
    expect(withSecond.applicationLookups).toEqual(['owner-app']);
  });

  it('fails the whole sheet on the first device it would refuse, naming it', async () => {
    await expect(deviceQrCodes(deps(ALL), MAKER, [INVENTORY.devEui, CLAIMED.devEui])).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deviceQrCodes(deps(ALL), MAKER, [INVENTORY.devEui, NO_TOKEN.devEui])).rejects.toBeInstanceOf(NoOwnerTokenError);
    const missing = await rejectedWith(NotFoundError, deviceQrCodes(deps(ALL), OTHER_MAKER, [INVENTORY.devEui]));
    expect(missing.message).toBe(`no device with DevEUI ${INVENTORY.devEui}`);
  });

  it('takes 1 to 1,000 DevEUIs and names a bad one by its index', async () => {
    for (const bad of [undefined, null, 'x', [], {}]) {
      const error = await rejectedWith(InvalidInputError, deviceQrCodes(deps(ALL), MAKER, bad));
      expect(error.details).toEqual({ field: 'devEuis' });
    }
    const tooMany = await rejectedWith(InvalidInputError, deviceQrCodes(deps(ALL), MAKER, Array(MAX_QR_SHEET_DEVICES + 1).fill(INVENTORY.devEui)));
    expect(tooMany.message).toBe('devEuis: at most 1000 devices per label sheet, got 1001; split the list');
    expect(await deviceQrCodes(deps(ALL), MAKER, Array(MAX_QR_SHEET_DEVICES).fill(INVENTORY.devEui))).toHaveLength(MAX_QR_SHEET_DEVICES);
    const bad = await rejectedWith(InvalidInputError, deviceQrCodes(deps(ALL), MAKER, [INVENTORY.devEui, '12345']));
    expect(bad.message).toMatch(/^devEuis\[1\]: /);
  });
});
