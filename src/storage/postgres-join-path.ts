import { sql } from 'kysely';
import type { JoinCommit } from '../devices/device.js';
import type { PostgresHandle } from './database-handle.js';
import { normalizeHex, otherSessionsToKeep, serializeNonces, sessionRow } from './device-rows.js';
import { toDbTimestamp } from './schema.js';
import { translateUniqueViolation } from './unique-violation.js';

/**
 * commitJoin on PostgreSQL as ONE statement (one round trip, one implicit transaction): the
 * conditional UPDATE, the INSERT and the prune are data-modifying CTEs; the INSERT and the DELETE
 * run only when the UPDATE matched. Of concurrent commits against one version, the first takes the
 * row lock; the others wait, re-check `version` against the committed row (READ COMMITTED) and
 * match nothing, so they write nothing. The prune reads the statement's snapshot, which does not
 * include the row being inserted; it excludes that row anyway.
 */
export async function commitJoinPostgres(handle: PostgresHandle, commit: JoinCommit, at: Date): Promise<boolean> {
  const devEui = normalizeHex(commit.devEui);
  const s = sessionRow(commit.session);
  const others = otherSessionsToKeep(commit.keepSessions);
  const { rows } = await translateUniqueViolation('session', { devEui, sessionKeyId: s.session_key_id }, () =>
    sql<{ committed: boolean }>`
      with updated as (
        update devices
           set last_dev_nonce = ${commit.lastDevNonce}, used_dev_nonces = ${serializeNonces(commit.usedDevNonces)},
               last_join_nonce = ${commit.lastJoinNonce}, version = version + 1, updated_at = ${toDbTimestamp(at)}
         where dev_eui = ${devEui} and version = ${commit.expectedVersion}
        returning dev_eui
      ), inserted as (
        insert into session_keys (dev_eui, session_key_id, mac_version, join_nonce, dev_nonce, net_id, as_id,
                                  nwk_s_key, f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key, app_s_key, created_at)
        select dev_eui, ${s.session_key_id}, ${s.mac_version}, ${s.join_nonce}::integer, ${s.dev_nonce}::integer,
               ${s.net_id}, ${s.as_id}::text, ${s.nwk_s_key}::text, ${s.f_nwk_s_int_key}::text, ${s.s_nwk_s_int_key}::text,
               ${s.nwk_s_enc_key}::text, ${s.app_s_key}, ${s.created_at}::timestamptz
          from updated
      ), pruned as (
        delete from session_keys
         where dev_eui = ${devEui}
           and exists (select 1 from updated)
           and session_key_id in (
             select session_key_id from session_keys
              where dev_eui = ${devEui} and session_key_id <> ${s.session_key_id}
              order by created_at desc, session_key_id desc
             offset ${others})
      )
      select exists (select 1 from updated) as committed`.execute(handle.db),
  );
  return rows[0]?.committed === true;
}
