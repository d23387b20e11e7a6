import { DevAddr, Eui64, LorawanError, MAC_VERSIONS, NetId, isMacVersion, parseHex, toHex } from '../../../lorawan/index.js';
import {
  JoinServerError, handleAppSKey, handleHomeNs, handleJoin,
  type JoinServerDeps, type KeyEnvelope,
} from '../../../joinserver/index.js';
import type { PeerRecord } from '../../../peers/peer.js';
import { requireField, type BiEnvelope } from './bi-envelope.js';

/** Request message types Deed answers, and their answer types. */
export const BI_ANSWER_TYPES: Readonly<Record<string, string>> = {
  JoinReq: 'JoinAns',
  AppSKeyReq: 'AppSKeyAns',
  HomeNSReq: 'HomeNSAns',
};

type Body = Readonly<Record<string, unknown>>;

/** Runs a lorawan parser; its error becomes a Malformed answer (message prefixed with `prefix`). */
function malformed<T>(parse: () => T, prefix = ''): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof LorawanError) throw new JoinServerError('malformed_message', `${prefix}${err.message}`);
    throw err;
  }
}

/** A required hex field (its parse error already names the field). */
function hexField(body: Body, field: string, length: number | null): Uint8Array {
  return malformed(() => parseHex(requireField(body, field), length, field));
}

function optionalHexField(body: Body, field: string, length: number): Uint8Array | null {
  const value = body[field];
  return value === undefined || value === null || value === '' ? null : hexField(body, field, length);
}

function value<T>(field: string, parse: () => T): T {
  return malformed(parse, `${field}: `);
}

const devEuiField = (body: Body): Eui64 => value('DevEUI', () => Eui64.fromBigEndian(hexField(body, 'DevEUI', 8)));

const envelopeJson = (e: KeyEnvelope) => ({ KEKLabel: e.kekLabel, AESKey: toHex(e.aesKey) });

/** Validates the message of `envelope`, runs its use case, and returns the answer's own fields. */
export async function answerBiMessage(
  deps: JoinServerDeps, caller: PeerRecord, envelope: BiEnvelope,
): Promise<Record<string, unknown>> {
  const { header, body } = envelope;
  switch (header.MessageType) {
    case 'JoinReq': {
      const macVersion = requireField(body, 'MACVersion');
      if (!isMacVersion(macVersion)) {
        throw new JoinServerError('malformed_message', `MACVersion must be one of ${MAC_VERSIONS.join(', ')}`);
      }
      const rxDelay = requireField(body, 'RxDelay');
      if (typeof rxDelay !== 'number' || !Number.isInteger(rxDelay) || rxDelay < 0 || rxDelay > 15) {
        throw new JoinServerError('malformed_message', 'RxDelay must be an integer from 0 to 15');
      }
      const dlSettings = hexField(body, 'DLSettings', 1)[0] ?? 0;
      const answer = await handleJoin(deps, caller, {
        macVersion,
        phyPayload: hexField(body, 'PHYPayload', null),
        devEui: devEuiField(body),
        devAddr: value('DevAddr', () => DevAddr.fromBigEndian(hexField(body, 'DevAddr', 4))),
        dlSettings,
        rxDelay,
        cfList: optionalHexField(body, 'CFList', 16),
        senderNetId: value('SenderID', () => NetId.fromHex(header.SenderID)),
        senderNsId: header.SenderNSID ?? null,
      });
      // Assigned, not built with conditional spreads: see answerHeader (bi-envelope.ts).
      const fields: Record<string, unknown> = { PHYPayload: toHex(answer.phyPayload), Lifetime: answer.lifetimeSeconds };
      if (answer.nwkSKey !== undefined) fields['NwkSKey'] = envelopeJson(answer.nwkSKey);
      if (answer.fNwkSIntKey !== undefined) fields['FNwkSIntKey'] = envelopeJson(answer.fNwkSIntKey);
      if (answer.sNwkSIntKey !== undefined) fields['SNwkSIntKey'] = envelopeJson(answer.sNwkSIntKey);
      if (answer.nwkSEncKey !== undefined) fields['NwkSEncKey'] = envelopeJson(answer.nwkSEncKey);
      if (answer.appSKey !== null) fields['AppSKey'] = envelopeJson(answer.appSKey);
      fields['SessionKeyID'] = answer.sessionKeyId;
      return fields;
    }
    case 'AppSKeyReq': {
      const devEui = devEuiField(body);
      const sessionKeyId = toHex(hexField(body, 'SessionKeyID', null));
      const answer = await handleAppSKey(deps, caller, { devEui, sessionKeyId, senderId: header.SenderID });
      return { DevEUI: answer.devEui.toHex(), AppSKey: envelopeJson(answer.appSKey), SessionKeyID: answer.sessionKeyId };
    }
    case 'HomeNSReq': {
      const devEui = devEuiField(body);
      const answer = await handleHomeNs(deps, caller, devEui);
      return {
        HNetID: answer.homeNetId,
        ...(header.ProtocolVersion === '1.1' && answer.homeNsId !== null ? { HNSID: answer.homeNsId } : {}),
      };
    }
    default:
      throw new JoinServerError('malformed_message', `unknown MessageType ${JSON.stringify(header.MessageType).slice(0, 64)}`);
  }
}
