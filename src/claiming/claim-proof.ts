import { Eui64, LorawanError, parseDeviceQr } from '../lorawan/index.js';
import { InvalidInputError } from '../shared/errors.js';
import { present } from '../shared/validate.js';

/** What proves a claim: the device's identity and its owner token. */
export interface ClaimProof {
  /** Upper-case hex; null when the proof did not name a JoinEUI (then any JoinEUI matches). */
  readonly joinEui: string | null;
  readonly devEui: string;
  /** Empty when none was given: that fails like a wrong token. */
  readonly ownerToken: string;
}

const MAX_TOKEN = 256;

function eui(field: string, value: unknown): string {
  try {
    return Eui64.fromHex(value, field).toHex();
  } catch (error) {
    if (error instanceof LorawanError) throw new InvalidInputError(`${field}: ${error.message}`, field);
    throw error;
  }
}

/**
 * The proof of a claim: a TR005 QR text (`LW:D0:…`, or the drafts) carrying JoinEUI, DevEUI and
 * owner token; or JoinEUI, DevEUI and owner token given separately. A bare-DevEUI QR code
 * cannot claim: it carries no owner token.
 */
export function parseClaimProof(input: { qr?: unknown; joinEui?: unknown; devEui?: unknown; ownerToken?: unknown }): ClaimProof {
  if (present(input.qr)) {
    if (present(input.devEui) || present(input.joinEui) || present(input.ownerToken)) {
      throw new InvalidInputError('give either a QR code text or joinEui, devEui and ownerToken, not both');
    }
    let qr;
    try {
      qr = parseDeviceQr(input.qr);
    } catch (error) {
      if (error instanceof LorawanError) throw new InvalidInputError(`qr: ${error.message}`, 'qr');
      throw error;
    }
    if (qr.ownerToken === undefined || qr.ownerToken === '') {
      throw new InvalidInputError('qr: this QR code carries no owner token (claim authentication code); give the code with --owner-token', 'qr');
    }
    return { joinEui: qr.joinEui?.toHex() ?? null, devEui: qr.devEui.toHex(), ownerToken: qr.ownerToken };
  }
  if (!present(input.devEui)) throw new InvalidInputError('devEui: required (or give a QR code text)', 'devEui');
  const token = input.ownerToken ?? '';
  if (typeof token !== 'string' || token.length > MAX_TOKEN) {
    throw new InvalidInputError(`ownerToken: expected a string of at most ${MAX_TOKEN} characters`, 'ownerToken');
  }
  return {
    joinEui: present(input.joinEui) ? eui('joinEui', input.joinEui) : null,
    devEui: eui('devEui', input.devEui),
    ownerToken: token,
  };
}
