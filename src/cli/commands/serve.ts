import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.js';

/** `deed serve`: run the server until SIGINT/SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Deed server (HTTP API, Backend Interfaces Join Server) on the configured database')
    .option('--config <file>', 'YAML server configuration file (or DEED_CONFIG); environment variables override it')
    .addHelpText('after', `
Settings (environment variable, or the same key in the config file):
  DEED_DATA_DIR        data directory: SQLite database and master key ring (default ./data)
  DEED_HTTP_HOST       listen address (default 0.0.0.0)       DEED_HTTP_PORT  (default 8580)
  DEED_DATABASE_URL    postgres://… selects PostgreSQL (default: SQLite in the data directory)
  DEED_MASTER_KEY      32-byte master key, hex or base64 (default: generated into the data directory)
  DEED_ADMIN_PASSWORD  password of the first "admin" account (default: generated and printed once)
  DEED_WORKERS         server processes sharing the ports: a number or "auto" (one per CPU; default 1)
  DEED_HTTPS_PORT, DEED_TLS_CERT, DEED_TLS_KEY, DEED_TLS_CLIENT_CA   HTTPS listener with client certificates
See docs/configuration.md for every setting.`)
    .action(async (opts: { config?: string }) => {
      // Loaded here, not at the top: every other command starts faster without the server.
      const { loadConfig } = await import('../../config/index.js');
      const { createLogger } = await import('../../main.js');
      const { WORKER_INDEX_ENV } = await import('../../cluster/index.js');
      const cluster = (await import('node:cluster')).default;
      const file = opts.config ?? process.env['DEED_CONFIG'];
      // The MQTT broker and the CoAP listener keep state per process: of several workers, worker 1 alone runs them.
      const quiet = cluster.isWorker && process.env[WORKER_INDEX_ENV] !== '1';
      const env = quiet ? { ...process.env, DEED_MQTT_PORT: '0', DEED_COAP_PORT: '0' } : process.env;
      const config = loadConfig({ env, ...(file !== undefined ? { file } : {}) });
      const logger = createLogger(config.log.level);
      if (config.workers > 1 && cluster.isPrimary) await servePrimary(config, logger);
      else await serveOne(config, logger);
    });
}

/** Serves from this process: the only one, or one worker of several. */
async function serveOne(config: Config, rootLogger: Logger): Promise<void> {
  const { startServer } = await import('../../main.js');
  const { currentWorkerRole } = await import('../../cluster/index.js');
  const worker = currentWorkerRole(config.workers);
  const logger = worker === undefined ? rootLogger : rootLogger.child({ worker: worker.index });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { logger, ...(worker !== undefined ? { worker } : {}) });
  } catch (err) {
    if (worker === undefined) throw err;
    // A worker's IPC channel would keep it alive: leave, so that the primary sees it fail.
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`deed: worker ${worker.index}: ${e.message}${e.code !== undefined ? ` (${e.code})` : ''}\n`);
    process.exit(1);
  }
  if (worker !== undefined) worker.ready({ httpUrl: server.httpUrl, httpsUrl: server.httpsUrl });
  else process.stderr.write(`${servingLine(server)}\n`);
  onStopSignal(logger, () => server.close());
}

/**
 * DEED_WORKERS > 1: migrates and creates the first admin once, then starts the workers (which
 * share the listening ports) and stops them on SIGINT/SIGTERM.
 */
async function servePrimary(config: Config, logger: Logger): Promise<void> {
  const { prepareServer } = await import('../../main.js');
  const { superviseWorkers } = await import('../../cluster/index.js');
  await prepareServer(config, { logger });
  const workers = await superviseWorkers({ count: config.workers, logger });
  process.stderr.write(`${servingLine(workers)} with ${config.workers} worker processes\n`);
  onStopSignal(logger, () => workers.stop());
  void workers.failed.then((reason) => {
    logger.fatal({ reason: reason.message }, 'stopping: workers keep exiting');
    process.exit(1);
  });
}

function servingLine(server: { httpUrl: string; httpsUrl: string | null }): string {
  return `Deed is serving on ${server.httpUrl}${server.httpsUrl !== null ? ` and ${server.httpsUrl}` : ''} (API documentation: ${server.httpUrl}/docs)`;
}

function onStopSignal(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
