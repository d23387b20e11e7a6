import { Type, type TSchema } from '@sinclair/typebox';
import { MAC_VERSIONS } from '../../lorawan/index.js';

/** JSON schemas of the REST API: documentation (OpenAPI) and response allow-lists. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Hex = (bytes: number, example: string) =>
  Type.String({ description: `${bytes} bytes as ${bytes * 2} hex digits`, examples: [example] });

export const MacVersionSchema = Type.Union(MAC_VERSIONS.map((v) => Type.Literal(v)));

export const DeviceViewSchema = Type.Object({
  devEui: Type.String(),
  joinEui: Type.String(),
  macVersion: Type.String(),
  homeNetId: Nullable(Type.String()),
  homeNsId: Nullable(Type.String()),
  asId: Nullable(Type.String()),
  resetsJoinNonces: Type.Boolean(),
  rootKeys: Type.Object({ appKey: Type.Boolean(), nwkKey: Type.Boolean() }, { description: 'Which root keys are in custody (never the keys).' }),
  nonces: Type.Object({
    nextJoinNonce: Type.Integer(),
    lastDevNonce: Nullable(Type.Integer()),
    usedDevNonces: Type.Array(Type.Integer()),
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
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
}, { additionalProperties: false });

export const UpdateDeviceSchema = Type.Object({
  homeNetId: Type.Optional(Nullable(Hex(3, '000013'))),
  homeNsId: Type.Optional(Nullable(Hex(8, '0000000000000001'))),
  asId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  resetsJoinNonces: Type.Optional(Type.Boolean()),
  macVersion: Type.Optional(MacVersionSchema),
}, { additionalProperties: false });

export const PeerViewSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('ns'), Type.Literal('as')]),
  netId: Nullable(Type.String()),
  nsId: Nullable(Type.String()),
  asId: Nullable(Type.String()),
  authentication: Type.Object({ token: Type.Boolean(), certFingerprint: Nullable(Type.String()) }),
  kekLabel: Nullable(Type.String()),
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
}, { additionalProperties: false });

export const ProblemSchema = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.String(),
  field: Type.Optional(Type.String()),
}, { $id: 'Problem' });

export const errorResponses = {
  400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema,
} as const;
