import { Eui64, NetId } from '../lorawan/index.js';
import { sealContext } from '../keyvault/seal-context.js';
import { parseKek } from '../keyvault/kek.js';
import { generateToken, hashToken } from '../keyvault/secret-token.js';
import type { ApplicationStore } from '../applications/application.js';
import type { Sealed } from '../devices/device.js';
import { InvalidInputError, NotFoundError } from '../shared/errors.js';
import { parseField, parseIdentifier, present } from '../shared/validate.js';
import type { PeerStore } from './peer.js';
import { toPeerView, type PeerView } from './peer-view.js';

export interface PeerAdminDeps {
  readonly peers: PeerStore;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed };
  /** To check that a claim client's application exists. */
  readonly applications: Pick<ApplicationStore, 'get'>;
}

/** A peer to register, as a transport received it. */
export interface AddPeerInput {
  readonly netId?: unknown;
  readonly nsId?: unknown;
  readonly asId?: unknown;
  /** A bearer token chosen by the operator; when neither token nor certificate is given, one is generated. */
  readonly token?: unknown;
  readonly certFingerprint?: unknown;
  readonly kekLabel?: unknown;
  readonly kek?: unknown;
  /**
   * Application Server peers only: the application its claims through The Things Join Server
   * claim API land in (it then is a claim client). Must exist.
   */
  readonly applicationId?: unknown;
}


/** SHA-256 certificate fingerprint: 64 hex digits, colons allowed; stored upper-case without colons. */
export function parseCertFingerprint(value: unknown): string {
  const hex = typeof value === 'string' ? value.replace(/:/g, '').toUpperCase() : '';
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new InvalidInputError('certFingerprint: expected the SHA-256 fingerprint of the client certificate (64 hex digits)', 'certFingerprint');
  }
  return hex;
}

/** The application a claim client claims into: only for an Application Server, and it must exist. */
async function claimApplication(deps: Pick<PeerAdminDeps, 'applications'>, isNs: boolean, value: unknown): Promise<string | null> {
  if (!present(value)) return null;
  if (isNs) {
    throw new InvalidInputError('applicationId: only an Application Server peer (asId) claims devices into an application', 'applicationId');
  }
  const id = parseIdentifier('applicationId', value);
  if ((await deps.applications.get(id)) === null) {
    throw new InvalidInputError(`applicationId: there is no application ${id}; its owner creates it first ("deed applications add ${id}")`, 'applicationId');
  }
  return id;
}

/**
 * Registers a Network Server (NetID, optional NSID) or Application Server (AS-ID) peer.
 * An Application Server registered with `applicationId` is a claim client: its claims through The
 * Things Join Server claim API land in that application.
 * Returns the view, plus the bearer token when Deed generated it (shown this once).
 */
export async function addPeer(deps: PeerAdminDeps, input: AddPeerInput): Promise<PeerView & { token?: string }> {
  if (present(input.netId) === present(input.asId)) {
    throw new InvalidInputError('give exactly one of netId (a Network Server) or asId (an Application Server)');
  }
  const isNs = present(input.netId);
  const netId = isNs ? parseField('netId', () => NetId.fromHex(input.netId).toHex()) : null;
  const nsId = present(input.nsId) ? parseField('nsId', () => Eui64.fromHex(input.nsId).toHex()) : null;
  if (!isNs && nsId !== null) throw new InvalidInputError('nsId: only a Network Server peer has an NSID', 'nsId');
  const asId = isNs ? null : parseIdentifier('asId', input.asId);
  const id = isNs ? (nsId === null ? `ns:${netId}` : `ns:${netId}:${nsId}`) : `as:${asId}`;

  if (present(input.token) && (typeof input.token !== 'string' || input.token.length < 16 || input.token.length > 512)) {
    throw new InvalidInputError('token: expected 16 to 512 characters', 'token');
  }
  const certFingerprint = present(input.certFingerprint) ? parseCertFingerprint(input.certFingerprint) : null;
  const generated = !present(input.token) && certFingerprint === null ? generateToken('bi', 24) : undefined;
  const token = present(input.token) ? (input.token as string) : generated;

  if (present(input.kek) !== present(input.kekLabel)) {
    throw new InvalidInputError('kekLabel and kek go together: give both or neither', present(input.kek) ? 'kekLabel' : 'kek');
  }
  const kekLabel = present(input.kekLabel) ? parseIdentifier('kekLabel', input.kekLabel) : null;
  const kek = present(input.kek) ? deps.vault.seal(parseKek(input.kek, 'kek'), sealContext.peerKek(id)) : null;
  const applicationId = await claimApplication(deps, isNs, input.applicationId);

  const created = await deps.peers.create({
    id, kind: isNs ? 'ns' : 'as', netId, nsId, asId,
    tokenHash: token === undefined ? null : hashToken(token),
    certFingerprint, kekLabel, kek, applicationId,
  });
  const view = toPeerView(created);
  return generated === undefined ? view : { ...view, token: generated };
}

export async function listPeers(deps: Pick<PeerAdminDeps, 'peers'>): Promise<PeerView[]> {
  return (await deps.peers.list()).map(toPeerView);
}

export async function getPeer(deps: Pick<PeerAdminDeps, 'peers'>, id: string): Promise<PeerView> {
  const peer = await deps.peers.get(id);
  if (peer === null) throw new NotFoundError(`no peer with id ${id}`);
  return toPeerView(peer);
}

export async function removePeer(deps: Pick<PeerAdminDeps, 'peers'>, id: string): Promise<void> {
  if (!(await deps.peers.remove(id))) throw new NotFoundError(`no peer with id ${id}`);
}
