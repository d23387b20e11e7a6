import { Type, type Static } from '@sinclair/typebox';
import type { ClaimInput } from '../../../claiming/claim-device.js';

const OptionalString = (description: string) => Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()], { description }));
const OptionalBoolean = (description: string) => Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description }));

/**
 * The body of `PUT /api/v2/devices/{devEUI}/claim` (spec/ttjs-claim-api.md). Field names are
 * The Things Join Server's; members this schema does not name are ignored. A wrong type is
 * `400 Invalid request`; a missing or empty `ownerToken` fails like a wrong one (403).
 */
export const TtjsClaimBodySchema = Type.Object({
  ownerToken: OptionalString('The owner token (claim authentication code) printed on the device'),
  homeNetID: OptionalString('NetID of the Network Server that may activate the device (6 hex digits)'),
  homeNSID: OptionalString('NSID of that Network Server (16 hex digits)'),
  asID: OptionalString('AS-ID that receives the application session keys; empty: the caller\'s'),
  lock: OptionalBoolean('Nobody else may claim the device while it is locked (default false)'),
  regenerateOwnerToken: OptionalBoolean('Replace the owner token after the claim (default false: regenerate only when asked)'),
  kek: Type.Optional(Type.Union([
    Type.Object({
      label: Type.String({ maxLength: 256 }),
      key: Type.String({ maxLength: 64, description: 'AES key, 32, 48 or 64 hex digits' }),
    }),
    Type.Null(),
  ], { description: 'The AS key encryption key that wraps this device\'s AppSKeys' })),
}, { additionalProperties: true });

export type TtjsClaimBody = Static<typeof TtjsClaimBodySchema>;

/**
 * The claim use case's input for a TTJS claim. `regenerateOwnerToken` is passed explicitly,
 * `false` when absent: The Things Join Server regenerates only when asked (The Things Stack asks
 * explicitly), whereas Deed's own REST API regenerates unless told not to. An empty `asID` means
 * the caller's AS-ID (the use case's default for a claim client).
 */
export function claimInputFromTtjs(devEui: string, body: TtjsClaimBody): ClaimInput {
  return {
    devEui,
    ownerToken: body.ownerToken ?? '',
    ...(body.homeNetID !== undefined && body.homeNetID !== null ? { homeNetId: body.homeNetID } : {}),
    ...(body.homeNSID !== undefined && body.homeNSID !== null ? { homeNsId: body.homeNSID } : {}),
    ...(body.asID !== undefined && body.asID !== null ? { asId: body.asID } : {}),
    lock: body.lock ?? false,
    regenerateOwnerToken: body.regenerateOwnerToken ?? false,
    ...(body.kek !== undefined && body.kek !== null ? { kek: { label: body.kek.label, key: body.kek.key } } : {}),
  };
}
