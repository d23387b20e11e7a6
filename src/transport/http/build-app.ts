import type { RequestListener } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AccountStore } from '../../accounts/account.js';
import type { ApiKeyStore } from '../../accounts/api-key.js';
import type { Authenticator, PasswordVerifier } from '../../accounts/authenticate.js';
import type { AuditLog } from '../../audit/audit-event.js';
import type { JoinServerDeps } from '../../joinserver/index.js';
import { accountRoutes } from './account-routes.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { auditRoutes } from './audit-routes.js';
import { createBiFastPath } from './bi/bi-fast-path.js';
import { biRoutes } from './bi/bi-route.js';
import type { DeviceAdminDeps } from '../../devices/manage-devices.js';
import type { ImportDeps } from '../../provisioning/import-devices.js';
import { deviceRoutes } from './device-routes.js';
import { importRoutes } from './import-routes.js';
import type { ApplicationStore } from '../../applications/application.js';
import type { ClaimDeps } from '../../claiming/claim-device.js';
import { claimRoutes } from './claim-routes.js';
import type { ClaimWindowDeps } from '../../claiming/claim-window.js';
import type { IpDeviceAdminDeps } from '../../claiming/manage-ip-devices.js';
import { deviceWindowRoutes } from './device-window-routes.js';
import { healthRoutes } from './health-routes.js';
import type { Metrics } from './metrics.js';
import { peerRoutes } from './peer-routes.js';
import { ttjsRoutes } from './ttjs/ttjs-routes.js';
import { qrRoutes } from './qr-routes.js';
import { vendorKeyRoutes } from './vendor-key-routes.js';
import type { WebhookAdminDeps } from '../../events/manage-webhooks.js';
import { webhookRoutes } from './webhook-routes.js';
import { installProblemHandlers } from './problem.js';
import type { ConsoleSessions } from '../../accounts/console-session.js';
import { consoleRoutes } from './console-routes.js';
import { deviceSessionsRoutes } from './device-sessions-routes.js';
import { createPlainHttpServer, type PlainHttpServerSettings } from './plain-http-server.js';
import { installConsoleSessions } from './session-auth.js';
import { sessionRoutes } from './session-routes.js';

/** Everything the HTTP API calls: use-case dependencies, built in main.ts. */
export interface HttpAppDeps {
  /** Also the stores and the vault of the management routes. */
  readonly joinServer: JoinServerDeps;
  readonly auth: Authenticator;
  readonly accounts: AccountStore;
  readonly apiKeys: ApiKeyStore;
  readonly passwords: PasswordVerifier;
  readonly audit: AuditLog;
  /** Device management (inventory, owner tokens, root-key export). */
  readonly devices: DeviceAdminDeps;
  /** Device import (manifests, CSV, JSON). */
  readonly imports: ImportDeps;
  /** Claiming: claim, bulk claim, release, applications. */
  readonly claims: ClaimDeps & { readonly applicationStore: ApplicationStore };
  /** Device-opened claim windows (ThingsBoard-compatible) and IP devices. */
  readonly deviceWindows: ClaimWindowDeps & IpDeviceAdminDeps;
  /** Webhook management (docs/events.md). */
  readonly webhooks: WebhookAdminDeps;
  readonly metrics: Metrics;
  readonly ping: () => Promise<void>;
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly version: string;
  /** The web console's sign-in sessions (docs/console.md); without them the session routes are absent. */
  readonly consoleSessions?: ConsoleSessions;
  /** The built web console (dist/console), served at `/`; without it `/` is not served. */
  readonly consoleDir?: string;
}

/**
 * The Fastify app factory. Called once per listener (HTTP, and HTTPS with client certificates),
 * with `https` options for the latter; the routes are the same. On the plain-HTTP listener,
 * `POST /api/bi` is answered in front of Fastify (`bi/bi-fast-path.ts`), with the same answers.
 */
export async function buildHttpApp(deps: HttpAppDeps, https?: HttpsServerOptions): Promise<FastifyInstance> {
  let closing = false;
  const biDeps = { joinServer: deps.joinServer, metrics: deps.metrics, log: deps.logger };
  const app = Fastify({
    loggerInstance: deps.logger,
    // One log line per request costs more than a join at thousands per second; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // A TTJS batch unclaim names many DevEUIs in one path segment (the request line bounds it).
    routerOptions: { maxParamLength: 16 * 1024 },
    ...(https !== undefined ? { https } : {
      serverFactory: (handler: RequestListener, settings: PlainHttpServerSettings) =>
        createPlainHttpServer(settings, createBiFastPath(biDeps, handler, () => closing)),
    }),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  // From here on Fastify answers every request (503 while it closes), /api/bi included.
  app.addHook('preClose', async () => {
    closing = true;
  });

  installProblemHandlers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Deed API',
        version: deps.version,
        description: 'Device claiming and LoRaWAN Join Server. Management endpoints take HTTP Basic credentials '
          + 'or an API key (`Authorization: Bearer dk_…` or `X-API-Key: dk_…`) carrying the scope the endpoint names, '
          + 'or the web console\'s session cookie (`POST /api/v1/session`; unsafe methods also send `X-CSRF-Token`); '
          + '`POST /api/bi` takes LoRaWAN Backend Interfaces messages from registered peers (bearer token or TLS client certificate); '
          + '`/api/v2/devices/…` is The Things Join Server claim API v2 for claim clients (Application Server peers registered with an application).',
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          apiKey: { type: 'http', scheme: 'bearer', description: 'A Deed API key (dk_…); the scopes listed are the ones the endpoint needs' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A Deed API key (dk_…), as an alternative to the bearer header' },
          peerToken: { type: 'http', scheme: 'bearer', description: 'A Backend Interfaces peer token' },
          sessionCookie: {
            type: 'apiKey', in: 'cookie', name: 'deed_session',
            description: 'The web console\'s session (POST /api/v1/session): acts like HTTP Basic on every management endpoint; unsafe methods also need X-CSRF-Token',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { metrics: deps.metrics, ping: deps.ping });
  await app.register(biRoutes, { joinServer: deps.joinServer, metrics: deps.metrics });
  await app.register(ttjsRoutes, { prefix: '/api/v2', claims: deps.claims, peers: deps.joinServer.peers });
  // The management API, the console and its sign-in sessions: the console-session hooks run on
  // these routes only, not on the Backend Interfaces, TTJS and health routes above, which
  // never take the session cookie (a join does not pay for three hooks it has no use for).
  await app.register(async (management) => {
    if (deps.consoleSessions !== undefined) installConsoleSessions(management, deps.consoleSessions);
    const accountDeps = {
      accounts: deps.accounts, apiKeys: deps.apiKeys, passwords: deps.passwords, audit: deps.audit, credentialCache: deps.auth, auth: deps.auth,
    };
    await management.register(accountRoutes, accountDeps);
    await management.register(apiKeyRoutes, accountDeps);
    await management.register(deviceRoutes, { ...deps.devices, auth: deps.auth, auditLog: deps.audit });
    await management.register(qrRoutes, { ...deps.devices, auth: deps.auth });
    await management.register(importRoutes, { ...deps.imports, auth: deps.auth, claims: deps.claims });
    await management.register(claimRoutes, { ...deps.claims, auth: deps.auth });
    await management.register(deviceWindowRoutes, { ...deps.deviceWindows, auth: deps.auth });
    await management.register(auditRoutes, { audit: deps.audit, auth: deps.auth });
    await management.register(peerRoutes, {
      peers: deps.joinServer.peers, vault: deps.joinServer.vault, applications: deps.claims.applicationStore, auth: deps.auth,
    });
    await management.register(vendorKeyRoutes, { ...deps.devices, auth: deps.auth });
    await management.register(webhookRoutes, { ...deps.webhooks, auth: deps.auth });
    await management.register(deviceSessionsRoutes, { devices: deps.devices.devices, applications: deps.devices.applications, auth: deps.auth });
    if (deps.consoleSessions !== undefined) await management.register(sessionRoutes, { sessions: deps.consoleSessions });
    if (deps.consoleDir !== undefined) await management.register(consoleRoutes, { dir: deps.consoleDir });
  });
  return app;
}
