import type { NewPeer, PeerRecord, PeerStore } from '../peers/peer.js';
import type { DatabaseHandle } from './database-handle.js';
import { fromDbTimestamp, type PeerRow, toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/** Options of {@link createPeerRepository}. */
export interface PeerRepositoryOptions {
  /** Source of `createdAt`; the system clock by default. */
  readonly now?: () => Date;
}

/** PeerStore over Kysely (both dialects). Peers are listed by id. */
export function createPeerRepository(handle: DatabaseHandle, options: PeerRepositoryOptions = {}): PeerStore {
  const now = options.now ?? (() => new Date());
  const { db } = handle;
  const findBy = async (column: 'id' | 'token_hash' | 'cert_fingerprint', value: string): Promise<PeerRecord | null> => {
    const row = await db.selectFrom('peers').selectAll().where(column, '=', value).executeTakeFirst();
    return row === undefined ? null : peerFromRow(row);
  };

  return {
    async create(peer: NewPeer): Promise<PeerRecord> {
      const row = await translateUniqueViolation('peer', { id: peer.id }, () =>
        db
          .insertInto('peers')
          .values({
            id: peer.id,
            kind: peer.kind,
            net_id: peer.netId,
            ns_id: peer.nsId,
            as_id: peer.asId,
            token_hash: peer.tokenHash,
            cert_fingerprint: peer.certFingerprint,
            kek_label: peer.kekLabel,
            kek: peer.kek,
            application_id: peer.applicationId ?? null,
            created_at: toDbTimestamp(now()),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return peerFromRow(row);
    },

    get: (id) => findBy('id', id),

    async list(): Promise<PeerRecord[]> {
      return (await db.selectFrom('peers').selectAll().orderBy('id').execute()).map(peerFromRow);
    },

    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('peers').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    findByTokenHash: (tokenHash) => findBy('token_hash', tokenHash),

    findByCertFingerprint: (fingerprint) => findBy('cert_fingerprint', fingerprint),
  };
}

function peerFromRow(row: PeerRow): PeerRecord {
  return {
    id: row.id,
    kind: row.kind,
    netId: row.net_id,
    nsId: row.ns_id,
    asId: row.as_id,
    tokenHash: row.token_hash,
    certFingerprint: row.cert_fingerprint,
    kekLabel: row.kek_label,
    kek: row.kek,
    applicationId: row.application_id,
    createdAt: fromDbTimestamp(row.created_at),
  };
}
