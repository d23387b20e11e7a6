import type { Command } from 'commander';

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
  DEED_HTTPS_PORT, DEED_TLS_CERT, DEED_TLS_KEY, DEED_TLS_CLIENT_CA   HTTPS listener with client certificates
See docs/configuration.md for every setting.`)
    .action(async (opts: { config?: string }) => {
      // Loaded here, not at the top: every other command starts faster without the server.
      const { loadConfig } = await import('../../config/index.js');
      const { createLogger, startServer } = await import('../../main.js');
      const file = opts.config ?? process.env['DEED_CONFIG'];
      const config = loadConfig({ env: process.env, ...(file !== undefined ? { file } : {}) });
      const logger = createLogger(config.log.level);
      const server = await startServer(config, { logger });
      process.stderr.write(`Deed is serving on ${server.httpUrl}${server.httpsUrl !== null ? ` and ${server.httpsUrl}` : ''} (API documentation: ${server.httpUrl}/docs)\n`);
      let closing = false;
      const stop = (signal: string) => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'shutting down');
        server.close().then(() => process.exit(0), (err: unknown) => {
          logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
