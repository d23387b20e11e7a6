import { type RawBuilder, sql } from 'kysely';
import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import type { SealedValueStore } from '../keyvault/sealed-value-store.js';
import type { DatabaseHandle } from './database-handle.js';
import { writeTransaction } from './write-transaction.js';

/** One column holding sealed values, and how to name the context it was sealed under. */
interface SealedColumn {
  readonly column: string;
  readonly context: (key: readonly string[]) => string;
}

/** A table with sealed columns, visited in primary-key order. */
interface SealedTable {
  readonly table: 'devices' | 'session_keys' | 'peers' | 'webhooks' | 'claim_windows';
  readonly key: readonly string[];
  readonly columns: readonly SealedColumn[];
}

const sessionColumn = (
  column: string,
  field: 'nwkSKey' | 'fNwkSIntKey' | 'sNwkSIntKey' | 'nwkSEncKey' | 'appSKey',
): SealedColumn => ({ column, context: ([devEui = '', id = '']) => sealContext.sessionKey(devEui, id, field) });

/** Every sealed value in the schema. A new sealed column must be added here. */
const sealedTables: readonly SealedTable[] = [
  {
    table: 'devices',
    key: ['dev_eui'],
    columns: [
      { column: 'app_key', context: ([devEui = '']) => sealContext.deviceKey(devEui, 'appKey') },
      { column: 'nwk_key', context: ([devEui = '']) => sealContext.deviceKey(devEui, 'nwkKey') },
      { column: 'owner_token', context: ([devEui = '']) => sealContext.ownerToken(devEui) },
      { column: 'as_kek', context: ([devEui = '']) => sealContext.deviceAsKek(devEui) },
    ],
  },
  {
    table: 'session_keys',
    key: ['dev_eui', 'session_key_id'],
    columns: [
      sessionColumn('nwk_s_key', 'nwkSKey'),
      sessionColumn('f_nwk_s_int_key', 'fNwkSIntKey'),
      sessionColumn('s_nwk_s_int_key', 'sNwkSIntKey'),
      sessionColumn('nwk_s_enc_key', 'nwkSEncKey'),
      sessionColumn('app_s_key', 'appSKey'),
    ],
  },
  {
    table: 'peers',
    key: ['id'],
    columns: [{ column: 'kek', context: ([id = '']) => sealContext.peerKek(id) }],
  },
  {
    table: 'webhooks',
    key: ['id'],
    columns: [{ column: 'secret', context: ([id = '']) => sealContext.webhookSecret(id) }],
  },
  {
    table: 'claim_windows',
    key: ['device_id'],
    columns: [{ column: 'secret', context: ([id = '']) => sealContext.claimSecret(id) }],
  },
];

type Row = Readonly<Record<string, string | null>>;

interface Replacement {
  readonly table: SealedTable;
  readonly key: readonly string[];
  readonly column: string;
  readonly from: Sealed;
  readonly to: Sealed;
}

/**
 * SealedValueStore over Kysely (both dialects): visits devices' root keys, the five session key
 * columns, peers' KEKs and webhooks' secrets, table by table in primary-key order. Each batch
 * is read, re-sealed in memory, then written in one transaction where every UPDATE is
 * conditioned on the column still holding the value that was read, so a value changed (or a row
 * deleted) meanwhile is left alone.
 * Versions and timestamps are not touched: re-sealing does not change a value's meaning.
 */
export function createSealedValueRepository(handle: DatabaseHandle): SealedValueStore {
  return {
    async resealAll(reseal, { batchSize, onProgress }) {
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError('resealAll: batchSize must be a positive integer');
      }
      let examined = 0;
      let resealed = 0;
      for (const table of sealedTables) {
        let cursor: readonly string[] | undefined;
        for (;;) {
          const rows = await readBatch(handle, table, cursor, batchSize);
          const last = rows.at(-1);
          if (last === undefined) {
            break;
          }
          cursor = table.key.map((k) => String(last[k]));
          const replacements: Replacement[] = [];
          for (const row of rows) {
            const key = table.key.map((k) => String(row[k]));
            for (const { column, context } of table.columns) {
              const from = row[column] as Sealed | null | undefined;
              if (from === null || from === undefined) {
                continue;
              }
              examined += 1;
              const to = reseal(from, context(key));
              if (to !== null && to !== from) {
                replacements.push({ table, key, column, from, to });
              }
            }
          }
          resealed += await writeBatch(handle, replacements);
          // Awaited, so a caller may pause between batches (tests use this to interleave writes).
          await onProgress?.(examined, resealed);
          if (rows.length < batchSize) {
            break;
          }
        }
      }
      return { examined, resealed };
    },
  };
}

function columnList(names: readonly string[]): RawBuilder<unknown> {
  return sql.join(names.map((name) => sql.ref(name)));
}

async function readBatch(
  handle: DatabaseHandle,
  table: SealedTable,
  cursor: readonly string[] | undefined,
  batchSize: number,
): Promise<Row[]> {
  const keys = columnList(table.key);
  const columns = columnList([...table.key, ...table.columns.map((c) => c.column)]);
  const after = cursor === undefined ? sql`` : sql`where (${keys}) > (${sql.join(cursor)})`;
  const { rows } = await sql<Row>`select ${columns} from ${sql.table(table.table)} ${after}
    order by ${keys} limit ${batchSize}`.execute(handle.db);
  return rows;
}

async function writeBatch(handle: DatabaseHandle, replacements: readonly Replacement[]): Promise<number> {
  if (replacements.length === 0) {
    return 0;
  }
  return writeTransaction(handle, async (trx) => {
    let written = 0;
    for (const { table, key, column, from, to } of replacements) {
      const keyMatches = sql.join(
        table.key.map((name, i) => sql`${sql.ref(name)} = ${key[i]}`),
        sql` and `,
      );
      const result = await sql`update ${sql.table(table.table)} set ${sql.ref(column)} = ${to}
        where ${keyMatches} and ${sql.ref(column)} = ${from}`.execute(trx);
      written += Number(result.numAffectedRows ?? 0n);
    }
    return written;
  });
}
