import type { Command } from 'commander';

/** `deed keys rotate`: re-encrypt everything at rest under a new master key. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('master keys that encrypt root keys, session keys and KEKs at rest');
  keys.command('rotate')
    .description('generate a new master key (or use DEED_MASTER_KEY) and re-encrypt every stored secret under it; '
      + 'safe to interrupt and run again. Runs against the database directly, with the server\'s settings.')
    .option('--config <file>', 'the server\'s YAML configuration file (or DEED_CONFIG)')
    .option('--batch-size <n>', 'values re-encrypted per transaction', '500')
    .action(async (opts: { config?: string; batchSize: string }) => {
      const { loadConfig } = await import('../../config/index.js');
      const { runKeyRotation } = await import('../../keyvault/index.js');
      const { createStores, migrateToLatest, openDatabase } = await import('../../storage/index.js');
      const file = opts.config ?? process.env['DEED_CONFIG'];
      const config = loadConfig({ env: process.env, ...(file !== undefined ? { file } : {}) });
      const batchSize = Number(opts.batchSize);
      const handle = await openDatabase(config.database.url);
      try {
        await migrateToLatest(handle);
        const stores = createStores(handle);
        const result = await runKeyRotation({
          dataDir: config.dataDir,
          store: stores.sealedValues,
          batchSize: Number.isInteger(batchSize) && batchSize > 0 ? batchSize : 500,
          env: {
            ...(config.masterKey !== undefined ? { masterKey: config.masterKey } : {}),
            ...(config.previousMasterKeys !== undefined ? { previousMasterKeys: config.previousMasterKeys } : {}),
          },
          onProgress: (examined, resealed) => process.stderr.write(`\rexamined ${examined}, re-encrypted ${resealed}`),
        });
        process.stderr.write('\n');
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await handle.close();
      }
    });
}
