import { closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { KeyVaultError } from '../keyvault/errors.js';
import { parseMasterKey, parseMasterKeyList } from '../keyvault/master-key-source.js';
import { LOG_LEVELS, type ClaimsConfig, type Config, type DatabaseConfig, type HttpsConfig, type LogLevel, type WebhooksConfig } from './config.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readConfigFile, type ConfigFileValues } from './read-config-file.js';
import { attachRedaction } from './redact-config.js';
import { SETTINGS, type SettingName } from './settings.js';

/** Inputs of {@link loadConfig}. */
export interface LoadConfigInput {
  /** The environment (`process.env`). Variables set to an empty string count as unset, except DEED_MASTER_KEY. */
  readonly env: NodeJS.ProcessEnv;
  /** YAML config file (from `--config`); when omitted, DEED_CONFIG from `env`, if set. */
  readonly file?: string | undefined;
  /** Base of relative paths given in the environment or by default. Default `process.cwd()`. */
  readonly cwd?: string | undefined;
  /** CPUs `DEED_WORKERS=auto` counts. Default `os.availableParallelism()`. */
  readonly cpus?: number | undefined;
}

/** Most worker processes `DEED_WORKERS` may ask for. */
const MAX_WORKERS = 64;

/** A raw value, where it came from, and how to name it in a message. */
interface RawValue {
  readonly value: unknown;
  readonly name: string;
  /** Directory relative paths are resolved against: cwd for env, the file's directory for the file. */
  readonly base: string;
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** A value as a message may show it (non-secret settings only). */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : `a ${typeof value === 'object' ? 'mapping' : typeof value}`;
}

/** Reads settings from env and file, collecting every problem instead of stopping at the first. */
class SettingReader {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly file: ConfigFileValues | undefined,
    private readonly cwd: string,
  ) {}

  raw(setting: SettingName): RawValue | undefined {
    const fromEnv = this.env[setting.env];
    if (fromEnv !== undefined && (fromEnv !== '' || setting === SETTINGS.masterKey)) {
      return { value: fromEnv, name: setting.env, base: this.cwd };
    }
    const fromFile = this.file?.values.get(setting.path);
    if (this.file !== undefined && fromFile !== undefined) {
      return { value: fromFile, name: `${setting.path} in ${this.file.path}`, base: dirname(this.file.path) };
    }
    return undefined;
  }

  problem(name: string, message: string): undefined {
    this.issues.push({ setting: name, message });
    return undefined;
  }

  integer(setting: SettingName, min: number, max: number): number | undefined {
    const raw = this.raw(setting);
    if (raw === undefined) return undefined;
    const { value } = raw;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    return this.problem(raw.name, `expected an integer from ${min} to ${max}, got ${show(value)}`);
  }

  boolean(setting: SettingName): boolean | undefined {
    const raw = this.raw(setting);
    if (raw === undefined) return undefined;
    if (typeof raw.value === 'boolean') return raw.value;
    const word = typeof raw.value === 'string' || typeof raw.value === 'number' ? String(raw.value).trim().toLowerCase() : '';
    const parsed = Object.hasOwn(BOOLEAN_WORDS, word) ? BOOLEAN_WORDS[word] : undefined;
    if (parsed !== undefined) return parsed;
    return this.problem(raw.name, `expected true or false (or 1/0, yes/no), got ${show(raw.value)}`);
  }

  logLevel(setting: SettingName): LogLevel | undefined {
    const raw = this.raw(setting);
    if (raw === undefined) return undefined;
    const word = typeof raw.value === 'string' ? raw.value.trim().toLowerCase() : '';
    const level = LOG_LEVELS.find((candidate) => candidate === word);
    if (level !== undefined) return level;
    return this.problem(raw.name, `expected one of ${LOG_LEVELS.join(', ')}, got ${show(raw.value)}`);
  }

  /** A non-empty string; secrets are never shown. */
  text(setting: SettingName): { value: string; raw: RawValue } | undefined {
    const raw = this.raw(setting);
    if (raw === undefined) return undefined;
    if (typeof raw.value === 'string' && raw.value.trim() !== '') return { value: raw.value, raw };
    if (setting.secret) {
      const hint = typeof raw.value === 'string' ? 'it is empty' : 'expected a string (quote it in YAML)';
      return this.problem(raw.name, `invalid value: ${hint}`);
    }
    return this.problem(raw.name, `expected a non-empty string, got ${show(raw.value)}`);
  }

  /** A file path, resolved to an absolute path. */
  path(setting: SettingName): { path: string; name: string } | undefined {
    const text = this.text(setting);
    return text === undefined ? undefined : { path: resolve(text.raw.base, text.value.trim()), name: text.raw.name };
  }

  host(setting: SettingName): string | undefined {
    const text = this.text(setting);
    if (text === undefined) return undefined;
    const host = text.value.trim().replace(/^\[(.*)\]$/, '$1');
    if (/^[A-Za-z0-9.:%_-]+$/.test(host)) return host;
    return this.problem(text.raw.name, `expected a host name or IP address, got ${show(text.value)}`);
  }

  masterKey(): string | undefined {
    const raw = this.raw(SETTINGS.masterKey);
    if (raw !== undefined && typeof raw.value === 'string' && raw.value.trim() === '') {
      return this.problem(raw.name, 'invalid value: set but empty; unset it to keep the master keys in the data directory instead');
    }
    const text = this.text(SETTINGS.masterKey);
    if (text === undefined) return undefined;
    return this.keyvaultCheck(text.raw.name, () => parseMasterKey(text.value, text.raw.name)) ? text.value : undefined;
  }

  previousMasterKeys(): string | undefined {
    const raw = this.raw(SETTINGS.previousMasterKeys);
    if (raw === undefined) return undefined;
    // The file may list them; the key vault takes one comma-separated string.
    const value = Array.isArray(raw.value) && raw.value.every((v) => typeof v === 'string') ? raw.value.join(',') : raw.value;
    if (typeof value !== 'string') return this.problem(raw.name, 'invalid value: expected a comma-separated string or a list of strings');
    if (value.trim() === '') return undefined;
    return this.keyvaultCheck(raw.name, () => parseMasterKeyList(value, raw.name)) ? value : undefined;
  }

  /** Runs a key-vault parser; its messages start with the setting's name and never contain the value. */
  private keyvaultCheck(name: string, check: () => unknown): boolean {
    try {
      check();
      return true;
    } catch (error) {
      if (!(error instanceof KeyVaultError)) throw error;
      const setting = typeof error.details?.['setting'] === 'string' ? error.details['setting'] : name;
      const message = error.message.startsWith(`${setting}: `) ? error.message.slice(setting.length + 2) : error.message;
      this.problem(setting, `invalid value: ${message}`);
      return false;
    }
  }

  database(dataDir: string): DatabaseConfig | undefined {
    const text = this.text(SETTINGS.databaseUrl);
    if (text === undefined) return { url: `sqlite:${join(dataDir, 'deed.db')}`, dialect: 'sqlite' };
    const url = text.value.trim();
    const name = text.raw.name;
    if (/^postgres(ql)?:\/\//i.test(url)) {
      try {
        new URL(url);
      } catch {
        return this.problem(name, 'not a valid PostgreSQL URL (value not shown: it may contain a password)');
      }
      return { url, dialect: 'postgres' };
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
    if (scheme !== undefined && scheme.toLowerCase() !== 'sqlite') {
      return this.problem(name, `unsupported database "${scheme}:": expected sqlite:<path> or a postgres:// URL`);
    }
    let path = url.replace(/^sqlite:/i, '');
    if (path.startsWith('//')) path = path.slice(2);
    if (path === ':memory:') return { url: 'sqlite::memory:', dialect: 'sqlite' };
    if (path === '') return this.problem(name, 'expected sqlite:<path> or a postgres:// URL, got an empty SQLite path');
    return { url: `sqlite:${isAbsolute(path) ? path : resolve(text.raw.base, path)}`, dialect: 'sqlite' };
  }

  /** Checks a TLS file can be read now, so a typo fails at boot and not at the first connection. */
  readableFile(file: { path: string; name: string }): string | undefined {
    try {
      if (!statSync(file.path).isFile()) return this.problem(file.name, `${file.path} is not a file`);
      closeSync(openSync(file.path, 'r'));
      return file.path;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.problem(file.name, `file ${file.path} does not exist`);
      return this.problem(file.name, `file ${file.path} cannot be read (${code ?? 'error'})`);
    }
  }

  /** A comma-separated list (or a YAML list) of PEM files or directories of `*.pem` files, each readable. */
  pemFiles(setting: SettingName): string[] {
    const raw = this.raw(setting);
    if (raw === undefined) return [];
    const value = Array.isArray(raw.value) && raw.value.every((v) => typeof v === 'string') ? raw.value.join(',') : raw.value;
    if (typeof value !== 'string') {
      this.problem(raw.name, 'invalid value: expected a comma-separated list of PEM files or directories');
      return [];
    }
    const files: string[] = [];
    for (const item of value.split(',').map((v) => v.trim()).filter((v) => v !== '')) {
      const path = resolve(raw.base, item);
      let isDirectory = false;
      try {
        isDirectory = statSync(path).isDirectory();
      } catch {
        this.problem(raw.name, `${path} does not exist`);
        continue;
      }
      if (isDirectory) {
        const pems = readdirSync(path).filter((name) => name.endsWith('.pem')).sort();
        if (pems.length === 0) this.problem(raw.name, `directory ${path} holds no *.pem file`);
        for (const name of pems) files.push(join(path, name));
      } else {
        const file = this.readableFile({ path, name: raw.name });
        if (file !== undefined) files.push(file);
      }
    }
    return files;
  }

  /** Worker processes: an integer, or `auto` for one per CPU; several cannot share an in-memory SQLite database. */
  workers(database: DatabaseConfig | undefined, cpus: number): number {
    const raw = this.raw(SETTINGS.workers);
    if (raw === undefined) return 1;
    const text = typeof raw.value === 'number' ? String(raw.value) : typeof raw.value === 'string' ? raw.value.trim() : '';
    const workers = text.toLowerCase() === 'auto' ? Math.min(MAX_WORKERS, Math.max(1, cpus)) : /^\+?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      this.problem(raw.name, `expected "auto" or an integer from 1 to ${MAX_WORKERS}, got ${show(raw.value)}`);
      return 1;
    }
    if (workers > 1 && database?.url === 'sqlite::memory:') {
      this.problem(raw.name, `${workers} workers cannot share an in-memory SQLite database (each process would have its own); use a file or PostgreSQL`);
      return 1;
    }
    return workers;
  }

  /** Webhook delivery settings; the longest wait may not be shorter than the first. */
  webhooks(): WebhooksConfig {
    const retryBaseMs = this.integer(SETTINGS.webhookRetryBaseMs, 10, 3_600_000) ?? 1_000;
    const retryMaxMs = this.integer(SETTINGS.webhookRetryMaxMs, 10, 86_400_000) ?? 3_600_000;
    if (retryMaxMs < retryBaseMs) {
      const raw = this.raw(SETTINGS.webhookRetryMaxMs) ?? this.raw(SETTINGS.webhookRetryBaseMs);
      this.problem(raw?.name ?? SETTINGS.webhookRetryMaxMs.env, `the longest retry wait (${retryMaxMs} ms) is shorter than the first (${retryBaseMs} ms)`);
    }
    return {
      pollIntervalMs: this.integer(SETTINGS.webhookPollIntervalMs, 10, 60_000) ?? 500,
      timeoutMs: this.integer(SETTINGS.webhookTimeoutMs, 100, 120_000) ?? 10_000,
      // 36: 1 s, 2 s, 4 s … 2048 s, then hourly: the last attempt comes about 24 hours after the first.
      maxAttempts: this.integer(SETTINGS.webhookMaxAttempts, 1, 100) ?? 36,
      retryBaseMs,
      retryMaxMs,
    };
  }

  /** Brute-force protection of claims; the longest lock-out may not be shorter than the first. */
  claims(): ClaimsConfig {
    const lockoutSeconds = this.integer(SETTINGS.claimLockoutSeconds, 1, 86_400) ?? 60;
    const lockoutMaxSeconds = this.integer(SETTINGS.claimLockoutMaxSeconds, 1, 2_592_000) ?? 3_600;
    if (lockoutMaxSeconds < lockoutSeconds) {
      const raw = this.raw(SETTINGS.claimLockoutMaxSeconds) ?? this.raw(SETTINGS.claimLockoutSeconds);
      this.problem(raw?.name ?? SETTINGS.claimLockoutMaxSeconds.env, `the longest lock-out (${lockoutMaxSeconds} s) is shorter than the first (${lockoutSeconds} s)`);
    }
    return {
      // 5 wrong owner tokens in a row is more than a person mistyping one; an 8-hex-digit token
      // has 4,294,967,296 values, so 5 guesses per lock-out leave guessing hopeless.
      maxFailuresDevice: this.integer(SETTINGS.claimMaxFailuresDevice, 1, 1_000) ?? 5,
      // An account or integration claims many devices; a few typos each must not lock it out.
      maxFailuresAccount: this.integer(SETTINGS.claimMaxFailuresAccount, 1, 100_000) ?? 20,
      // One address may be a NAT in front of many people.
      maxFailuresAddress: this.integer(SETTINGS.claimMaxFailuresAddress, 1, 1_000_000) ?? 50,
      lockoutSeconds,
      lockoutMaxSeconds,
      failureWindowSeconds: this.integer(SETTINGS.claimFailureWindowSeconds, 1, 2_592_000) ?? 3_600,
    };
  }

  https(httpPort: number | undefined): HttpsConfig | undefined {
    const port = this.integer(SETTINGS.httpsPort, 1, 65535);
    const portGiven = this.raw(SETTINGS.httpsPort) !== undefined;
    const files = {
      cert: this.path(SETTINGS.tlsCert),
      key: this.path(SETTINGS.tlsKey),
      clientCa: this.path(SETTINGS.tlsClientCa),
    };
    if (!portGiven) {
      for (const [field, file] of Object.entries(files)) {
        if (file !== undefined) {
          this.problem(file.name, `set, but ${SETTINGS.httpsPort.env} (https.port) is not; the ${field === 'clientCa' ? 'client CA' : `TLS ${field}`} is only used by the HTTPS listener`);
        }
      }
      return undefined;
    }
    const required = (file: { path: string; name: string } | undefined, setting: SettingName): string | undefined =>
      file === undefined
        ? this.problem(`${setting.env} (${setting.path})`, `required when the HTTPS port is set`)
        : this.readableFile(file);
    const cert = required(files.cert, SETTINGS.tlsCert);
    const key = required(files.key, SETTINGS.tlsKey);
    const clientCa = files.clientCa === undefined ? undefined : this.readableFile(files.clientCa);
    if (port !== undefined && port === httpPort) {
      this.problem(this.raw(SETTINGS.httpsPort)?.name ?? SETTINGS.httpsPort.env, `must differ from the HTTP port (${httpPort})`);
    }
    if (port === undefined || cert === undefined || key === undefined || (files.clientCa !== undefined && clientCa === undefined)) {
      return undefined;
    }
    return { port, cert, key, ...(clientCa === undefined ? {} : { clientCa }) };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the server configuration from the environment and, optionally, a YAML file whose keys
 * are the dotted paths of {@link SETTINGS} (`http.port`, `joinServer.devNonceHistory`, …). The
 * environment overrides the file; relative paths in the file are relative to the file's
 * directory, those from the environment to `cwd`. Returns a deeply frozen object. Throws
 * ConfigError (`invalid_config`) listing every bad setting by name; an unknown key in the file
 * is an error too.
 */
export function loadConfig(input: LoadConfigInput): Config {
  const cwd = input.cwd ?? process.cwd();
  const fileName = input.file ?? (input.env['DEED_CONFIG'] === '' ? undefined : input.env['DEED_CONFIG']);
  const file = fileName === undefined ? undefined : readConfigFile(resolve(cwd, fileName));
  const reader = new SettingReader(input.env, file, cwd);
  reader.issues.push(...(file?.issues ?? []));

  const dataDir = reader.path(SETTINGS.dataDir)?.path ?? resolve(cwd, 'data');
  const httpPort = reader.integer(SETTINGS.httpPort, 1, 65535) ?? 8580;
  const http = {
    host: reader.host(SETTINGS.httpHost) ?? '0.0.0.0',
    port: httpPort,
    bodyLimit: reader.integer(SETTINGS.httpBodyLimit, 1024, 1024 ** 3) ?? 1024 * 1024,
  };
  const https = reader.https(httpPort);
  const database = reader.database(dataDir);
  const workers = reader.workers(database, input.cpus ?? availableParallelism());
  const masterKey = reader.masterKey();
  const previousMasterKeys = reader.previousMasterKeys();
  const adminPassword = reader.text(SETTINGS.adminPassword)?.value;
  const log = { level: reader.logLevel(SETTINGS.logLevel) ?? 'info' };
  const joinServer = {
    // 256: of 65,536 possible DevNonces, a random-nonce device joining a few times a day takes
    // months to use 256, and 256 numbers are one small JSON column per device.
    devNonceHistory: reader.integer(SETTINGS.devNonceHistory, 1, 16384) ?? 256,
    sessionKeysPerDevice: reader.integer(SETTINGS.sessionKeysPerDevice, 1, 1000) ?? 10,
    allowUnwrappedKeys: reader.boolean(SETTINGS.allowUnwrappedKeys) ?? false,
    sessionLifetimeSeconds: reader.integer(SETTINGS.sessionLifetimeSeconds, 0, 2 ** 31 - 1) ?? 0,
  };
  const devices = { ownerTokenLength: reader.integer(SETTINGS.ownerTokenLength, 6, 32) ?? 8 };
  const provisioning = { trustedSigners: reader.pemFiles(SETTINGS.trustedSigners) };
  const webhooks = reader.webhooks();
  const claims = reader.claims();
  const deviceWindows = {
    allowClaimingByDefault: reader.boolean(SETTINGS.allowClaimingByDefault) ?? true,
    defaultDurationMs: reader.integer(SETTINGS.windowDefaultDurationMs, 1000, 2_592_000_000) ?? 86_400_000,
    maxDurationMs: reader.integer(SETTINGS.windowMaxDurationMs, 1000, 2_592_000_000) ?? 86_400_000,
    maxSecretFailures: reader.integer(SETTINGS.windowMaxSecretFailures, 1, 1000) ?? 5,
  };
  // 1884, not MQTT's 1883: a machine often runs a broker there already; ThingsBoard firmware is told the port.
  const mqtt = { port: reader.integer(SETTINGS.mqttPort, 0, 65535) ?? 1884 };
  const coap = { port: reader.integer(SETTINGS.coapPort, 0, 65535) ?? 5683 };
  const redisText = reader.text(SETTINGS.redisUrl);
  let redis: { url: string } | undefined;
  if (redisText !== undefined) {
    if (/^rediss?:\/\//i.test(redisText.value.trim())) redis = { url: redisText.value.trim() };
    else reader.problem(redisText.raw.name, 'expected a redis:// or rediss:// URL (value not shown: it may contain a password)');
  }
  if (reader.issues.length > 0 || database === undefined) throw new ConfigError(reader.issues);

  const config: Config = {
    ...(file === undefined ? {} : { configFile: file.path }),
    dataDir,
    http,
    ...(https === undefined ? {} : { https }),
    workers,
    database,
    ...(masterKey === undefined ? {} : { masterKey }),
    ...(previousMasterKeys === undefined ? {} : { previousMasterKeys }),
    ...(adminPassword === undefined ? {} : { adminPassword }),
    log,
    joinServer,
    devices,
    provisioning,
    webhooks,
    claims,
    deviceWindows,
    mqtt,
    coap,
    ...(redis === undefined ? {} : { redis }),
  };
  attachRedaction(config);
  return deepFreeze(config);
}
