/**
 * The composition root: the only place where adapters (database, key vault, HTTP) are wired
 * to the use cases. `deed serve` calls startServer with the validated config.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createAuthenticator } from './accounts/authenticate.js';
import { createConsoleSessions } from './accounts/console-session.js';
import { createSignInLimiter } from './accounts/sign-in-limiter.js';
import { ensureAdminAccount } from './accounts/ensure-admin.js';
import type { Config } from './config/index.js';
import type { JoinServerDeps } from './joinserver/index.js';
import { Sealer, generatePassword, generateToken, hashPassword, hashToken, loadMasterKeyRing, randomPool, verifyPassword } from './keyvault/index.js';
import { cachePeerLookups } from './peers/peer-cache.js';
import { microchipSigners } from './provisioning/index.js';
import { createStores, migrateToLatest, openDatabase } from './storage/index.js';
import { createConsoleSessionRepository } from './storage/session-repository.js';
import { buildHttpApp } from './transport/http/build-app.js';
import { newIpDeviceId } from './transport/http/device-window-routes.js';
import { createMetrics } from './transport/http/metrics.js';
import { createWebhookDispatcher } from './events/webhook-dispatcher.js';
import type { WorkerRole } from './cluster/index.js';
import { createFetchWebhookPoster } from './transport/webhook/fetch-webhook-poster.js';
import { startCoapServer, type CoapListener } from './transport/coap/index.js';
import { startMqttBroker, type MqttBroker } from './transport/mqtt/index.js';
import { packageVersion } from './version.js';

/** A running server. */
export interface RunningServer {
  readonly httpUrl: string;
  readonly httpsUrl: string | null;
  close(): Promise<void>;
}

/** Paths a log line must never carry, whatever a future change logs by mistake. */
const REDACT = [
  'req.headers.authorization', 'headers.authorization', 'req.headers["x-api-key"]', 'headers["x-api-key"]',
  'password', '*.password', 'token', '*.token',
  'appKey', '*.appKey', 'nwkKey', '*.nwkKey', 'kek', '*.kek', 'AESKey', '*.AESKey', '*.*.AESKey',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'deed' } });
}

/** Options of {@link startServer} and {@link prepareServer}. */
export interface ServerOptions {
  readonly logger?: Logger;
  /** Where the generated admin password is shown; stderr by default. */
  readonly announce?: (line: string) => void;
  /**
   * Set in the workers of `deed serve` with DEED_WORKERS > 1. Every worker serves the APIs;
   * what must run once (the webhook dispatcher, the claim-window purge) runs in worker 1 only.
   */
  readonly worker?: WorkerRole;
}

/**
 * What the primary process of `deed serve` does once before it starts several workers: creates
 * the data directory, migrates the database, loads (or generates) the master key ring and creates
 * the first admin. The workers' `startServer` then finds all of it done.
 */
export async function prepareServer(config: Config, options: ServerOptions = {}): Promise<void> {
  const logger = options.logger ?? createLogger(config.log.level);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const handle = await openDatabase(config.database.url, { log: (msg) => logger.info(msg) });
  try {
    await migrateToLatest(handle);
    await loadKeyRing(config, logger);
    await createFirstAdmin(createStores(handle).accounts, config, options);
  } finally {
    await handle.close();
  }
}

function loadKeyRing(config: Config, logger: Logger) {
  return loadMasterKeyRing({
    dataDir: config.dataDir,
    ...(config.masterKey !== undefined ? { masterKey: config.masterKey } : {}),
    ...(config.previousMasterKeys !== undefined ? { previousMasterKeys: config.previousMasterKeys } : {}),
    log: (msg) => logger.info(msg),
  });
}

async function createFirstAdmin(accounts: Parameters<typeof ensureAdminAccount>[0], config: Config, options: ServerOptions): Promise<void> {
  const announce = options.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
  const admin = await ensureAdminAccount(accounts, { hash: hashPassword, generatePassword }, config.adminPassword);
  if (admin.generatedPassword !== undefined) {
    announce(`Created the account "admin" with the password ${admin.generatedPassword}`);
    announce('It is shown only this once: keep it somewhere safe (or set DEED_ADMIN_PASSWORD before the first start).');
  } else if (admin.created) {
    announce('Created the account "admin" with the password from DEED_ADMIN_PASSWORD.');
  }
}

/** Opens storage and the key vault, creates the first admin, and starts the listeners. */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log.level);
  // Background jobs run in one process: the only one, or worker 1 of several.
  const runsBackgroundJobs = (options.worker?.index ?? 1) === 1;

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const handle = await openDatabase(config.database.url, { log: (msg) => logger.info(msg) });
  await migrateToLatest(handle);
  const stores = createStores(handle, { attemptLimits: config.claims });
  const keyRing = await loadKeyRing(config, logger);
  const vault = new Sealer(keyRing.ring);
  logger.info({ database: handle.dialect, masterKeySource: keyRing.source, masterKeyId: keyRing.ring.activeKeyId }, 'storage and key vault ready');

  await createFirstAdmin(stores.accounts, config, options);

  const worker = options.worker;
  const metrics = createMetrics(worker === undefined ? {} : { cluster: { gather: () => worker.clusterMetrics() } });
  // Every JoinReq looks up its caller and the device's AS: remember peers for a second.
  const peers = cachePeerLookups(stores.peers);
  const joinServer: JoinServerDeps = {
    devices: stores.devices,
    peers,
    vault,
    clock: { now: () => new Date() },
    random: randomPool,
    settings: config.joinServer,
  };
  const passwords = { verify: verifyPassword, hash: hashPassword };
  // Bundled Microchip Log Signers plus the operator's (DEED_TRUSTED_SIGNERS); a bad one fails the boot.
  const signers = microchipSigners(config.provisioning.trustedSigners.map((file) => readFileSync(file, 'utf8')));
  const random = { bytes: (n: number) => randomBytes(n) };
  const devices = {
    devices: stores.devices,
    applications: stores.applications,
    vault,
    audit: stores.audit,
    random,
    clock: { now: () => new Date() },
    ownerTokenLength: config.devices.ownerTokenLength,
  };
  const imports = { devices: stores.devices, vault, signers, random, ownerTokenLength: config.devices.ownerTokenLength };
  const claims = {
    devices: stores.devices,
    applications: stores.applications,
    applicationStore: stores.applications,
    vault,
    audit: stores.audit,
    limiter: stores.attempts,
    random,
    clock: { now: () => new Date() },
    ownerTokenLength: config.devices.ownerTokenLength,
  };
  const auth = createAuthenticator(stores, passwords);
  const consoleSessions = createConsoleSessions({
    store: createConsoleSessionRepository(handle), accounts: stores.accounts, auth, limiter: createSignInLimiter(), clock: { now: () => new Date() },
  });
  const deviceWindows = {
    ipDevices: stores.ipDevices,
    applications: stores.applications,
    vault,
    audit: stores.audit,
    clock: { now: () => new Date() },
    hashToken,
    newAccessToken: () => generateToken('dt', 24),
    newId: newIpDeviceId,
    settings: config.deviceWindows,
  };
  const deps = {
    devices,
    claims,
    deviceWindows,
    imports,
    webhooks: { webhooks: stores.webhooks, accounts: stores.accounts, vault, random },
    joinServer,
    auth,
    consoleSessions,
    // The web console, bundled by `npm run build` into dist/console (beside dist/src).
    consoleDir: fileURLToPath(new URL('../console/', import.meta.url)),
    accounts: stores.accounts,
    apiKeys: stores.apiKeys,
    passwords,
    audit: stores.audit,
    metrics,
    ping: stores.ping,
    logger,
    bodyLimit: config.http.bodyLimit,
    version: packageVersion(),
  };

  // Expired claim windows are refused anyway; this only keeps the table small.
  const purge = runsBackgroundJobs ? setInterval(() => {
    stores.ipDevices.purgeExpiredWindows(new Date()).catch((err: Error) => logger.warn({ err: { message: err.message } }, 'purging expired claim windows failed'));
  }, 60_000) : undefined;
  purge?.unref();
  const apps: FastifyInstance[] = [];
  let coap: CoapListener | undefined;
  let mqtt: MqttBroker | undefined;
  try {
    const http = await buildHttpApp(deps);
    apps.push(http);
    await http.listen({ host: config.http.host, port: config.http.port });
    const httpUrl = urlOf('http', http);
    let httpsUrl: string | null = null;
    if (config.https !== undefined) {
      const https = await buildHttpApp(deps, {
        key: readFileSync(config.https.key),
        cert: readFileSync(config.https.cert),
        ...(config.https.clientCa !== undefined ? { ca: readFileSync(config.https.clientCa) } : {}),
        requestCert: config.https.clientCa !== undefined,
        rejectUnauthorized: false,
        // Backend Interfaces and The Things Join Server claim API: TLS 1.2 or later.
        minVersion: 'TLSv1.2',
      });
      apps.push(https);
      // A client that presents a certificate the client CA did not sign is refused outright;
      // a client with no certificate may still authenticate with a bearer token.
      const refused = new WeakSet<TLSSocket>();
      https.server.on('secureConnection', (socket: TLSSocket) => {
        if (presentsUntrustedCertificate(socket)) {
          logger.warn({ reason: String(socket.authorizationError) }, 'refused a TLS client certificate');
          refused.add(socket);
          socket.destroy();
        }
      });
      // Destroying the socket does not stop a request that arrived with the handshake: the HTTP
      // parser reads the TLS stream natively, so it may already be parsed. Drop it here, before
      // any route (and its side effects) runs.
      https.addHook('onRequest', async (request, reply) => {
        const socket = request.raw.socket as TLSSocket;
        if (refused.has(socket) || presentsUntrustedCertificate(socket)) {
          reply.hijack();
          socket.destroy();
        }
      });
      await https.listen({ host: config.http.host, port: config.https.port });
      httpsUrl = urlOf('https', https);
    }
    logger.info({ http: httpUrl, https: httpsUrl }, 'Deed is listening');
    // Devices open claim windows over CoAP too (UDP, on the HTTP host; DEED_COAP_PORT=0 turns it off).
    if (config.coap.port > 0) {
      coap = await startCoapServer({ deviceWindows, log: logger.child({ component: 'coap' }) }, { host: config.http.host, port: config.coap.port });
      logger.info({ coap: `udp ${config.http.host}:${coap.port}` }, 'CoAP is listening');
    }
    // Devices and gateways open claim windows over MQTT (embedded broker on the HTTP host;
    // DEED_MQTT_PORT=0 turns it off); with DEED_REDIS_URL its state is shared between instances.
    if (config.mqtt.port > 0) {
      mqtt = await startMqttBroker({
        host: config.http.host, port: config.mqtt.port, deps: deviceWindows, logger: logger.child({ component: 'mqtt' }),
        ...(config.redis !== undefined ? { redisUrl: config.redis.url } : {}),
      });
      logger.info({ mqtt: `mqtt://${hostOf(config.http.host)}:${mqtt.port}`, sharedThroughRedis: config.redis !== undefined }, 'MQTT is listening');
    }
    // Delivers outbox events to webhooks while the server runs (docs/events.md).
    const { retryBaseMs, retryMaxMs, maxAttempts, pollIntervalMs, timeoutMs } = config.webhooks;
    const dispatcher = runsBackgroundJobs ? createWebhookDispatcher({
      deliveries: stores.webhookDeliveries, vault, post: createFetchWebhookPoster(), clock: { now: () => new Date() },
      settings: { pollIntervalMs, timeoutMs, retry: { maxAttempts, baseDelayMs: retryBaseMs, maxDelayMs: retryMaxMs } },
      log: logger.child({ component: 'webhooks' }), userAgent: `Deed/${packageVersion()}`,
    }) : undefined;
    dispatcher?.start();
    return {
      httpUrl,
      httpsUrl,
      async close() {
        clearInterval(purge);
        await dispatcher?.stop();
        await coap?.close();
        await mqtt?.close();
        for (const app of apps) await app.close();
        await handle.close();
      },
    };
  } catch (err) {
    clearInterval(purge);
    await coap?.close().catch(() => undefined);
    await mqtt?.close().catch(() => undefined);
    for (const app of apps) await app.close().catch(() => undefined);
    await handle.close();
    throw err;
  }
}

/** True when a TLS client presented a certificate that the client CA did not verify. */
function presentsUntrustedCertificate(socket: TLSSocket): boolean {
  if (socket.authorized) return false;
  const cert = socket.getPeerCertificate();
  return cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
}

/** A listen address as clients on this machine reach it. */
function hostOf(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function urlOf(scheme: 'http' | 'https', app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
}
