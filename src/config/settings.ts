/** One setting: its environment variable and its key in the YAML file (dotted path). */
export interface SettingName {
  readonly env: string;
  readonly path: string;
  /** Its value is never repeated in a message. */
  readonly secret: boolean;
}

const setting = (env: string, path: string, secret = false): SettingName => ({ env, path, secret });

/** Every setting, in the order messages and docs list them. */
export const SETTINGS = {
  dataDir: setting('DEED_DATA_DIR', 'dataDir'),
  httpHost: setting('DEED_HTTP_HOST', 'http.host'),
  httpPort: setting('DEED_HTTP_PORT', 'http.port'),
  httpBodyLimit: setting('DEED_BODY_LIMIT', 'http.bodyLimit'),
  workers: setting('DEED_WORKERS', 'workers'),
  httpsPort: setting('DEED_HTTPS_PORT', 'https.port'),
  tlsCert: setting('DEED_TLS_CERT', 'https.cert'),
  tlsKey: setting('DEED_TLS_KEY', 'https.key'),
  tlsClientCa: setting('DEED_TLS_CLIENT_CA', 'https.clientCa'),
  databaseUrl: setting('DEED_DATABASE_URL', 'database.url', true),
  masterKey: setting('DEED_MASTER_KEY', 'masterKey', true),
  previousMasterKeys: setting('DEED_MASTER_KEY_PREVIOUS', 'previousMasterKeys', true),
  adminPassword: setting('DEED_ADMIN_PASSWORD', 'adminPassword', true),
  logLevel: setting('DEED_LOG_LEVEL', 'log.level'),
  devNonceHistory: setting('DEED_DEV_NONCE_HISTORY', 'joinServer.devNonceHistory'),
  sessionKeysPerDevice: setting('DEED_SESSION_KEYS_PER_DEVICE', 'joinServer.sessionKeysPerDevice'),
  allowUnwrappedKeys: setting('DEED_ALLOW_UNWRAPPED_KEYS', 'joinServer.allowUnwrappedKeys'),
  sessionLifetimeSeconds: setting('DEED_SESSION_LIFETIME', 'joinServer.sessionLifetimeSeconds'),
  ownerTokenLength: setting('DEED_OWNER_TOKEN_LENGTH', 'devices.ownerTokenLength'),
  trustedSigners: setting('DEED_TRUSTED_SIGNERS', 'provisioning.trustedSigners'),
  webhookPollIntervalMs: setting('DEED_WEBHOOK_POLL_INTERVAL', 'webhooks.pollIntervalMs'),
  webhookTimeoutMs: setting('DEED_WEBHOOK_TIMEOUT', 'webhooks.timeoutMs'),
  webhookMaxAttempts: setting('DEED_WEBHOOK_MAX_ATTEMPTS', 'webhooks.maxAttempts'),
  webhookRetryBaseMs: setting('DEED_WEBHOOK_RETRY_BASE', 'webhooks.retryBaseMs'),
  webhookRetryMaxMs: setting('DEED_WEBHOOK_RETRY_MAX', 'webhooks.retryMaxMs'),
  claimMaxFailuresDevice: setting('DEED_CLAIM_MAX_FAILURES_DEVICE', 'claims.maxFailuresDevice'),
  claimMaxFailuresAccount: setting('DEED_CLAIM_MAX_FAILURES_ACCOUNT', 'claims.maxFailuresAccount'),
  claimMaxFailuresAddress: setting('DEED_CLAIM_MAX_FAILURES_ADDRESS', 'claims.maxFailuresAddress'),
  claimLockoutSeconds: setting('DEED_CLAIM_LOCKOUT_SECONDS', 'claims.lockoutSeconds'),
  claimLockoutMaxSeconds: setting('DEED_CLAIM_LOCKOUT_MAX_SECONDS', 'claims.lockoutMaxSeconds'),
  claimFailureWindowSeconds: setting('DEED_CLAIM_FAILURE_WINDOW_SECONDS', 'claims.failureWindowSeconds'),
  allowClaimingByDefault: setting('DEED_CLAIM_ALLOW_BY_DEFAULT', 'deviceWindows.allowClaimingByDefault'),
  windowDefaultDurationMs: setting('DEED_CLAIM_DEFAULT_DURATION_MS', 'deviceWindows.defaultDurationMs'),
  windowMaxDurationMs: setting('DEED_CLAIM_MAX_DURATION_MS', 'deviceWindows.maxDurationMs'),
  windowMaxSecretFailures: setting('DEED_CLAIM_WINDOW_MAX_FAILURES', 'deviceWindows.maxSecretFailures'),
  mqttPort: setting('DEED_MQTT_PORT', 'mqtt.port'),
  coapPort: setting('DEED_COAP_PORT', 'coap.port'),
  redisUrl: setting('DEED_REDIS_URL', 'redis.url', true),
} as const satisfies Record<string, SettingName>;

/** Environment variables that are not settings themselves but are read at the edge. */
const OTHER_ENV_VARS = ['DEED_CONFIG', 'DEED_WORKER_INDEX'];

/** Names of all environment variables the server reads. */
export const CONFIG_ENV_VARS: readonly string[] = Object.freeze([...Object.values(SETTINGS).map((s) => s.env), ...OTHER_ENV_VARS]);

/** Dotted paths of all keys the YAML file may contain. */
export const CONFIG_FILE_KEYS: readonly string[] = Object.freeze(Object.values(SETTINGS).map((s) => s.path));

/**
 * `DEED_*` variables in `env` that no setting reads (probably typos), for the CLI to warn about.
 * Variables of other parts of Deed (e.g. the client CLI's) can be passed in `alsoKnown`.
 */
export function findUnknownEnvVars(env: NodeJS.ProcessEnv, alsoKnown: readonly string[] = []): string[] {
  const known = new Set([...CONFIG_ENV_VARS, ...alsoKnown]);
  return Object.keys(env).filter((name) => name.startsWith('DEED_') && !known.has(name)).sort();
}
