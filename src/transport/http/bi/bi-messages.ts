import { DevAddr, Eui64, LorawanError, NetId, isMacVersion, parseHex, toHex } from '../../../lorawan/index.js';
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

function hexField(body: Body, field: string, length: number | null): Uint8Array {
  const value = requireField(body, field);
  try {
    return parseHex(value, length, field);
  } catch (err) {
    if (err instanceof LorawanError) throw new JoinServerError('malformed_message', err.message);
    throw err;
  }
}

function optionalHexField(body: Body, field: string, length: number): Uint8Array | null {
  const value = body[field];
  return value === undefined || value === null || value === '' ? null : hexField(body, field, length);
}

function value<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof LorawanError) throw new JoinServerError('malformed_message', `${field}: ${err.message}`);
    throw err;
  }
}

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
        throw new JoinServerError('malformed_message', 'MACVersion must be one of 1.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4, 1.1');
      }
      const rxDelay = requireField(body, 'RxDelay');
      if (typeof rxDelay !== 'number' || !Number.isInteger(rxDelay) || rxDelay < 0 || rxDelay > 15) {
        throw new JoinServerError('malformed_message', 'RxDelay must be an integer from 0 to 15');
      }
      const dlSettings = hexField(body, 'DLSettings', 1)[0] ?? 0;
      const answer = await handleJoin(deps, caller, {
        macVersion,
        phyPayload: hexField(body, 'PHYPayload', null),
        devEui: value('DevEUI', () => Eui64.fromBigEndian(hexField(body, 'DevEUI', 8))),
        devAddr: value('DevAddr', () => DevAddr.fromBigEndian(hexField(body, 'DevAddr', 4))),
        dlSettings,
        rxDelay,
        cfList: optionalHexField(body, 'CFList', 16),
        senderNetId: value('SenderID', () => NetId.fromHex(header.SenderID)),
        senderNsId: header.SenderNSID ?? null,
      });
      return {
        PHYPayload: toHex(answer.phyPayload),
        Lifetime: answer.lifetimeSeconds,
        ...(answer.nwkSKey !== undefined ? { NwkSKey: envelopeJson(answer.nwkSKey) } : {}),
        ...(answer.fNwkSIntKey !== undefined ? { FNwkSIntKey: envelopeJson(answer.fNwkSIntKey) } : {}),
        ...(answer.sNwkSIntKey !== undefined ? { SNwkSIntKey: envelopeJson(answer.sNwkSIntKey) } : {}),
        ...(answer.nwkSEncKey !== undefined ? { NwkSEncKey: envelopeJson(answer.nwkSEncKey) } : {}),
        ...(answer.appSKey !== null ? { AppSKey: envelopeJson(answer.appSKey) } : {}),
        SessionKeyID: answer.sessionKeyId,
      };
    }
    case 'AppSKeyReq': {
      const devEui = value('DevEUI', () => Eui64.fromBigEndian(hexField(body, 'DevEUI', 8)));
      const sessionKeyId = toHex(hexField(body, 'SessionKeyID', null));
      const answer = await handleAppSKey(deps, caller, { devEui, sessionKeyId, senderId: header.SenderID });
      return { DevEUI: answer.devEui.toHex(), AppSKey: envelopeJson(answer.appSKey), SessionKeyID: answer.sessionKeyId };
    }
    case 'HomeNSReq': {
      const devEui = value('DevEUI', () => Eui64.fromBigEndian(hexField(body, 'DevEUI', 8)));
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
