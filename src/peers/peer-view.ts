import type { PeerRecord } from './peer.js';

/** What the API shows of a peer: never its KEK or token. */
export interface PeerView {
  readonly id: string;
  readonly kind: 'ns' | 'as';
  readonly netId: string | null;
  readonly nsId: string | null;
  readonly asId: string | null;
  readonly authentication: { readonly token: boolean; readonly certFingerprint: string | null };
  readonly kekLabel: string | null;
  /** A claim client's application (TTJS claim API), else null. */
  readonly applicationId: string | null;
  readonly createdAt: string;
}

export function toPeerView(peer: PeerRecord): PeerView {
  return {
    id: peer.id,
    kind: peer.kind,
    netId: peer.netId,
    nsId: peer.nsId,
    asId: peer.asId,
    authentication: { token: peer.tokenHash !== null, certFingerprint: peer.certFingerprint },
    kekLabel: peer.kekLabel,
    applicationId: peer.applicationId,
    createdAt: peer.createdAt.toISOString(),
  };
}
