/** Builders of test records, shared by the contract suite and the cross-process race worker. */
import type { DeviceRecord, JoinCommit, NewDevice, Sealed, SessionRecord } from '../../devices/device.js';

/** Test records: EUIs, devices, sessions and joins. */
export const fixtures = {
  eui: (i: number): string => (0x70b3d57ed0000000n + BigInt(i)).toString(16).toUpperCase().padStart(16, '0'),
  sealed: (text: string): Sealed => text as Sealed,
  device(i: number, overrides: Partial<NewDevice> = {}): NewDevice {
    return {
      devEui: fixtures.eui(i),
      joinEui: '70B3D57ED0001234',
      macVersion: '1.0.3',
      appKey: fixtures.sealed(`old:${fixtures.eui(i)}:appKey`),
      nwkKey: null,
      homeNetId: '000013',
      homeNsId: null,
      asId: null,
      resetsJoinNonces: false,
      ...overrides,
    };
  },
  session(devEui: string, sessionKeyId: string, createdAt: Date, overrides: Partial<SessionRecord> = {}): SessionRecord {
    return {
      devEui,
      sessionKeyId,
      macVersion: '1.0.3',
      joinNonce: 1,
      devNonce: 1,
      netId: '000013',
      asId: 'as.example.com',
      nwkSKey: fixtures.sealed(`old:${devEui}:${sessionKeyId}:nwkSKey`),
      fNwkSIntKey: null,
      sNwkSIntKey: null,
      nwkSEncKey: null,
      appSKey: fixtures.sealed(`old:${devEui}:${sessionKeyId}:appSKey`),
      createdAt,
      ...overrides,
    };
  },
  /** A join against `device`'s current version, with the next nonces. */
  join(device: DeviceRecord, sessionKeyId: string, createdAt: Date, keepSessions = 10): JoinCommit {
    const devNonce = (device.lastDevNonce ?? 0) + 1;
    const joinNonce = device.lastJoinNonce + 1;
    return {
      devEui: device.devEui,
      expectedVersion: device.version,
      lastDevNonce: devNonce,
      usedDevNonces: [...device.usedDevNonces, devNonce],
      lastJoinNonce: joinNonce,
      session: fixtures.session(device.devEui, sessionKeyId, createdAt, { joinNonce, devNonce }),
      keepSessions,
    };
  },
};


/** 2025-01-01T00:00:<second>Z: session timestamps whose order tests control. */
export const at = (second: number): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, second));
