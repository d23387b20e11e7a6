import { Type, type TSchema } from '@sinclair/typebox';
import { MAC_VERSIONS } from '../../lorawan/index.js';

/** JSON schemas of the REST API: documentation (OpenAPI) and response allow-lists. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Hex = (bytes: number, example: string) =>
  Type.String({ description: `${bytes} bytes as ${bytes * 2} hex digits`, examples: [example] });

export const MacVersionSchema = Type.Union(MAC_VERSIONS.map((v) => Type.Literal(v)));

const Timestamp = Type.String({ format: 'date-time' });

export const DeviceViewSchema = Type.Object({
  devEUI: Type.String(),
  ownerToken: Type.Optional(Nullable(Type.String({ description: 'The claim authentication code; shown to the device maker while unclaimed, to the holder once claimed.' }))),
  ownerTokenValidFrom: Type.Optional(Nullable(Timestamp)),
  ownerTokenValidTo: Type.Optional(Nullable(Timestamp)),
  rootKeysExposed: Type.Boolean({ description: 'The root keys were exported at least once: permanent.' }),
  rootKeysExposedAt: Nullable(Timestamp),
  rootKeysExposedBy: Nullable(Type.String()),
  joinEUI: Type.String(),
  name: Nullable(Type.String()),
  macVersion: Type.String(),
  state: Type.Union([Type.Literal('unclaimed'), Type.Literal('claimed')]),
  applicationId: Nullable(Type.String()),
  claimedAt: Nullable(Timestamp),
  locked: Type.Boolean(),
  asKekLabel: Nullable(Type.String()),
  rootKeysAvailable: Type.Object({ appKey: Type.Boolean(), nwkKey: Type.Boolean() }, { description: 'Which root keys are in custody (never the keys).' }),
  homeNetId: Nullable(Type.String()),
  homeNsId: Nullable(Type.String()),
  asId: Nullable(Type.String()),
  resetsJoinNonces: Type.Boolean(),
  vendorId: Nullable(Type.String()),
  vendorProfileId: Nullable(Type.String()),
  secureElement: Nullable(Type.Object({
    uniqueId: Type.String(), model: Type.String(), partNumber: Type.String(), signerKid: Type.String(),
    generation: Type.Union([Type.Literal('B'), Type.Literal('C')]),
  })),
  provenance: Nullable(Type.Object({
    format: Type.String(), fileSha256: Nullable(Type.String()), importedBy: Type.String(), importedAt: Timestamp,
  })),
  nonces: Type.Optional(Type.Object({
    nextJoinNonce: Type.Integer(),
    usedDevNonces: Type.Array(Type.Integer()),
    lastDevNonce: Nullable(Type.Integer()),
  })),
  rootKeys: Type.Optional(Type.Object({
    appKey: Nullable(Type.String()), nwkKey: Nullable(Type.String()),
  }, { description: 'Only in the answer of a root-key export.' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}, { $id: 'Device' });

export const AddDeviceSchema = Type.Object({
  devEui: Hex(8, '0004A310001FF9DA'),
  joinEui: Hex(8, '70B3D57ED0000000'),
  appKey: Type.Optional(Hex(16, '000102030405060708090A0B0C0D0E0F')),
  nwkKey: Type.Optional(Hex(16, '0F0E0D0C0B0A09080706050403020100')),
  macVersion: MacVersionSchema,
  homeNetId: Type.Optional(Nullable(Hex(3, '000013'))),
  homeNsId: Type.Optional(Nullable(Hex(8, '0000000000000001'))),
  asId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  resetsJoinNonces: Type.Optional(Type.Boolean()),
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  ownerToken: Type.Optional(Type.String({ description: 'Claim authentication code; generated when absent' })),
}, { additionalProperties: false });

export const UpdateDeviceSchema = Type.Object({
  homeNetId: Type.Optional(Nullable(Hex(3, '000013'))),
  homeNsId: Type.Optional(Nullable(Hex(8, '0000000000000001'))),
  asId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  resetsJoinNonces: Type.Optional(Type.Boolean()),
  macVersion: Type.Optional(MacVersionSchema),
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
}, { additionalProperties: false });

export const OwnerTokenSchema = Type.Object({
  ownerToken: Type.Optional(Type.String({ description: 'Set this token (1-64 printable ASCII characters without spaces or ":")' })),
  regenerate: Type.Optional(Type.Boolean({ description: 'Replace the token with a new random one' })),
  validFrom: Type.Optional(Nullable(Timestamp)),
  validTo: Type.Optional(Nullable(Timestamp)),
}, { additionalProperties: false });

export const PeerViewSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('ns'), Type.Literal('as')]),
  netId: Nullable(Type.String()),
  nsId: Nullable(Type.String()),
  asId: Nullable(Type.String()),
  authentication: Type.Object({ token: Type.Boolean(), certFingerprint: Nullable(Type.String()) }),
  kekLabel: Nullable(Type.String()),
  applicationId: Nullable(Type.String({ description: 'A claim client\'s application: its TTJS-API claims land there' })),
  createdAt: Type.String({ format: 'date-time' }),
  token: Type.Optional(Type.String({ description: 'Generated bearer token, returned once when the peer is created without token or certificate.' })),
}, { $id: 'Peer' });

export const AddPeerSchema = Type.Object({
  netId: Type.Optional(Hex(3, '000013')),
  nsId: Type.Optional(Hex(8, '0000000000000001')),
  asId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  token: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  certFingerprint: Type.Optional(Type.String({ description: 'SHA-256 fingerprint of the client certificate (hex, colons allowed)' })),
  kekLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  kek: Type.Optional(Type.String({ description: 'AES key encryption key, 32/48/64 hex digits' })),
  applicationId: Type.Optional(Type.String({ description: 'Application Server only: makes it a claim client whose TTJS-API claims land in this (existing) application' })),
}, { additionalProperties: false });

export const ProblemSchema = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.String(),
  field: Type.Optional(Type.String()),
}, { $id: 'Problem' });

export const errorResponses = {
  400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema,
} as const;
