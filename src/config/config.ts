/** Log levels, as pino names them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A log level; `silent` logs nothing. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The plain HTTP listener (management API, Backend Interfaces, console). */
export interface HttpConfig {
  /** Listen address for HTTP and HTTPS. Default `0.0.0.0`. */
  readonly host: string;
  /** Default 8580. */
  readonly port: number;
  /**
   * Largest request body the management API accepts, bytes. Default 1 MiB. The Backend
   * Interfaces endpoint has its own fixed 32 KiB limit.
   */
  readonly bodyLimit: number;
}

/** The HTTPS listener; present only when `https.port` is set. Paths are absolute and were readable at load. */
export interface HttpsConfig {
  readonly port: number;
  /** PEM certificate (chain) file. */
  readonly cert: string;
  /** PEM private key file. */
  readonly key: string;
  /** PEM CA bundle that client certificates (Backend Interfaces peers) must chain to. */
  readonly clientCa?: string;
}

/** Where data lives. */
export interface DatabaseConfig {
  /**
   * `sqlite:<absolute path>` (or `sqlite::memory:`), or a `postgres://` / `postgresql://` URL.
   * May hold a password: print it only through `redactConfig`.
   */
  readonly url: string;
  readonly dialect: 'sqlite' | 'postgres';
}

/** Join Server behaviour (structurally the Join Server's `JoinServerSettings`). */
export interface JoinServerConfig {
  /**
   * How many used DevNonces to remember per device that picks random DevNonces (LoRaWAN before
   * 1.0.4), to refuse replayed join requests. Default 256, range 1..16384. A DevNonce has 65,536
   * possible values; a random-nonce device that joins a few times a day takes months to reach
   * 256 joins, and 256 nonces are one small JSON column per device. Older nonces are forgotten
   * first, so a replay of a very old join request becomes possible only after that many joins.
   */
  readonly devNonceHistory: number;
  /** Session keys kept per device, for AppSKeyReq. Default 10, range 1..1000. */
  readonly sessionKeysPerDevice: number;
  /** Send session keys in the clear, with an empty KEK label, to a peer that has no KEK. Default false. */
  readonly allowUnwrappedKeys: boolean;
  /** The Backend Interfaces `Lifetime` of a session, seconds; 0 (default) means no limit. */
  readonly sessionLifetimeSeconds: number;
}

/** Webhook delivery (docs/events.md). */
export interface WebhooksConfig {
  /** How often the dispatcher looks for new events and due retries while idle, ms. Default 500, range 10..60000. */
  readonly pollIntervalMs: number;
  /** How long one delivery request may take, ms. Default 10000, range 100..120000. */
  readonly timeoutMs: number;
  /** Attempts per delivery, the first included. Default 36 (about 24 hours with the default waits), range 1..100. */
  readonly maxAttempts: number;
  /** Wait after the first failed attempt, ms, doubling after each failure. Default 1000, range 10..3600000. */
  readonly retryBaseMs: number;
  /** The longest wait between attempts, ms. Default 3600000 (1 h), range 10..86400000, at least retryBaseMs. */
  readonly retryMaxMs: number;
}

/**
 * Brute-force protection of claims (docs/configuration.md#brute-force-protection): failed claim
 * attempts are counted per device, per claimant (account or claim client) and per source address;
 * a key that reaches its threshold within the failure window is locked out, each further time for
 * twice as long, up to the maximum.
 */
export interface ClaimsConfig {
  /** Failures a device takes before it is locked out. Default 5, range 1..1000. */
  readonly maxFailuresDevice: number;
  /** Failures an account or a claim client takes before it is locked out. Default 20, range 1..100000. */
  readonly maxFailuresAccount: number;
  /** Failures a source address takes before it is locked out. Default 50, range 1..1000000. */
  readonly maxFailuresAddress: number;
  /** First lock-out, seconds; doubled by each further one. Default 60, range 1..86400. */
  readonly lockoutSeconds: number;
  /** Longest lock-out, seconds. Default 3600, range 1..2592000, at least lockoutSeconds. */
  readonly lockoutMaxSeconds: number;
  /**
   * Failures further apart than this, seconds, do not add up; a key quiet this long after its
   * last failure and its last lock-out starts again from zero. Default 3600, range 1..2592000.
   */
  readonly failureWindowSeconds: number;
}

/**
 * The server's configuration: parsed once at boot by `loadConfig`, deeply frozen. Paths are
 * absolute. `JSON.stringify` and `util.inspect` of it show secrets as `[redacted]`.
 */
export interface Config {
  /** The YAML file read, if any (absolute). */
  readonly configFile?: string;
  /** Data directory (absolute): SQLite database and master-key ring file. Default `./data`. */
  readonly dataDir: string;
  readonly http: HttpConfig;
  readonly https?: HttpsConfig;
  /**
   * Server processes `deed serve` runs (DEED_WORKERS): 1 (default) serves from the one process;
   * more starts that many workers sharing the listening ports (node:cluster), after the first
   * process migrated the database and created the first admin. `auto` in the setting means one
   * per CPU. Range 1..64.
   */
  readonly workers: number;
  readonly database: DatabaseConfig;
  /** DEED_MASTER_KEY as given (checked by the key vault's parser). Secret. */
  readonly masterKey?: string;
  /** DEED_MASTER_KEY_PREVIOUS, comma-separated. Secret. */
  readonly previousMasterKeys?: string;
  /** Password for the `admin` account created on first start. Secret. */
  readonly adminPassword?: string;
  readonly log: { readonly level: LogLevel };
  readonly joinServer: JoinServerConfig;
  readonly devices: {
    /** Length of generated owner tokens, upper-case hex characters. Default 8, range 6..32. */
    readonly ownerTokenLength: number;
  };
  readonly provisioning: {
    /**
     * PEM files of manifest signers trusted besides the bundled Microchip Log Signers (absolute
     * paths; a directory given in the setting contributes its `*.pem` files).
     */
    readonly trustedSigners: readonly string[];
  };
  readonly webhooks: WebhooksConfig;
  readonly claims: ClaimsConfig;
  readonly deviceWindows: DeviceWindowsConfig;
  /** The embedded MQTT broker for devices (ThingsBoard topics). */
  readonly mqtt: { readonly port: number };
  /** The CoAP listener for devices (UDP). */
  readonly coap: { readonly port: number };
  /** Redis shared by several instances (MQTT state); absent for one instance. May hold a password. */
  readonly redis?: { readonly url: string };
}

/** Device-opened claim windows (ThingsBoard's `claim.*`; docs/device-claiming.md). */
export interface DeviceWindowsConfig {
  /** When false, a device may open a window only if its `claimingAllowed` flag is set. Default true. */
  readonly allowClaimingByDefault: boolean;
  /** Window length when a device gives none (or a non-positive one), ms. Default 86400000 (24 h, as ThingsBoard). */
  readonly defaultDurationMs: number;
  /** Longer windows are clamped to this, ms. Default 86400000; range 1000..2592000000 (30 days). */
  readonly maxDurationMs: number;
  /** Wrong secrets after which a window closes. Default 5, range 1..1000. */
  readonly maxSecretFailures: number;
}
