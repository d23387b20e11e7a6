import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig } from './load-config.js';
import { redactConfig } from './redact-config.js';
import { findUnknownEnvVars } from './settings.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deed-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('invalid_config');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function yamlFile(text: string, name = 'deed.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function tlsFiles(): Promise<{ cert: string; key: string; ca: string }> {
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'ca.pem') };
  for (const path of Object.values(files)) await writeFile(path, '-----BEGIN-----\n');
  return files;
}

describe('loadConfig defaults', () => {
  it('has a default for everything', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config).toEqual({
      dataDir: join(dir, 'data'),
      http: { host: '0.0.0.0', port: 8580, bodyLimit: 1048576 },
      workers: 1,
      database: { url: `sqlite:${join(dir, 'data', 'deed.db')}`, dialect: 'sqlite' },
      log: { level: 'info' },
      joinServer: { devNonceHistory: 256, sessionKeysPerDevice: 10, allowUnwrappedKeys: false, sessionLifetimeSeconds: 0 },
      devices: { ownerTokenLength: 8 },
      provisioning: { trustedSigners: [] },
      webhooks: { pollIntervalMs: 500, timeoutMs: 10000, maxAttempts: 36, retryBaseMs: 1000, retryMaxMs: 3600000 },
      claims: { maxFailuresDevice: 5, maxFailuresAccount: 20, maxFailuresAddress: 50, lockoutSeconds: 60, lockoutMaxSeconds: 3600, failureWindowSeconds: 3600 },
      deviceWindows: { allowClaimingByDefault: true, defaultDurationMs: 86400000, maxDurationMs: 86400000, maxSecretFailures: 5 },
      mqtt: { port: 1884 },
      coap: { port: 5683 },
    });
    expect(config.https).toBeUndefined();
    expect(config.masterKey).toBeUndefined();
    expect(config.adminPassword).toBeUndefined();
  });

  it('is deeply frozen', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(Object.isFrozen(config.joinServer)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('resolves the data directory and the SQLite database under it', () => {
    const config = loadConfig({ env: { DEED_DATA_DIR: 'var/deed' }, cwd: dir });
    expect(config.dataDir).toBe(join(dir, 'var', 'deed'));
    expect(config.database.url).toBe(`sqlite:${join(dir, 'var', 'deed', 'deed.db')}`);
  });

  it('treats empty environment variables as unset', () => {
    const config = loadConfig({ env: { DEED_HTTP_PORT: '', DEED_LOG_LEVEL: '', DEED_ADMIN_PASSWORD: '' }, cwd: dir });
    expect(config.http.port).toBe(8580);
    expect(config.adminPassword).toBeUndefined();
  });
});

describe('loadConfig from environment and file', () => {
  it('reads every setting from the environment', async () => {
    const tls = await tlsFiles();
    const masterKey = randomBytes(32).toString('hex');
    const config = loadConfig({
      cwd: dir,
      env: {
        DEED_DATA_DIR: '/srv/deed',
        DEED_HTTP_HOST: '127.0.0.1',
        DEED_HTTP_PORT: '9000',
        DEED_HTTPS_PORT: '9443',
        DEED_TLS_CERT: tls.cert,
        DEED_TLS_KEY: tls.key,
        DEED_TLS_CLIENT_CA: tls.ca,
        DEED_DATABASE_URL: 'postgres://deed:pw@db:5432/deed',
        DEED_MASTER_KEY: masterKey,
        DEED_MASTER_KEY_PREVIOUS: randomBytes(32).toString('base64'),
        DEED_ADMIN_PASSWORD: 'admin-password',
        DEED_LOG_LEVEL: 'DEBUG',
        DEED_DEV_NONCE_HISTORY: '1024',
        DEED_SESSION_KEYS_PER_DEVICE: '3',
        DEED_ALLOW_UNWRAPPED_KEYS: 'yes',
        DEED_SESSION_LIFETIME: '86400',
        DEED_BODY_LIMIT: '2048',
      },
    });
    expect(config).toMatchObject({
      dataDir: '/srv/deed',
      http: { host: '127.0.0.1', port: 9000, bodyLimit: 2048 },
      https: { port: 9443, cert: tls.cert, key: tls.key, clientCa: tls.ca },
      database: { url: 'postgres://deed:pw@db:5432/deed', dialect: 'postgres' },
      masterKey,
      adminPassword: 'admin-password',
      log: { level: 'debug' },
      joinServer: { devNonceHistory: 1024, sessionKeysPerDevice: 3, allowUnwrappedKeys: true, sessionLifetimeSeconds: 86400 },
    });
  });

  it('reads the YAML file, and the environment overrides it', async () => {
    await mkdir(join(dir, 'etc'));
    const file = await yamlFile(
      [
        'dataDir: ../state',
        'http:',
        '  port: 8000',
        '  host: "::1"',
        'log:',
        '  level: warn',
        'joinServer:',
        '  devNonceHistory: 512',
        '  allowUnwrappedKeys: true',
        'database:',
        '  url: sqlite:db/deed.sqlite',
        'previousMasterKeys:',
        `  - ${randomBytes(32).toString('hex')}`,
        `  - ${randomBytes(32).toString('hex')}`,
      ].join('\n'),
      'etc/deed.yaml',
    );
    const config = loadConfig({ env: { DEED_HTTP_PORT: '8001', DEED_ALLOW_UNWRAPPED_KEYS: 'false' }, file, cwd: '/' });
    expect(config.configFile).toBe(file);
    expect(config.dataDir).toBe(join(dir, 'state')); // relative to the file
    expect(config.http).toEqual({ host: '::1', port: 8001, bodyLimit: 1048576 });
    expect(config.log.level).toBe('warn');
    expect(config.joinServer).toMatchObject({ devNonceHistory: 512, allowUnwrappedKeys: false });
    expect(config.database.url).toBe(`sqlite:${join(dir, 'etc', 'db', 'deed.sqlite')}`);
    expect(config.previousMasterKeys?.split(',')).toHaveLength(2);
  });

  it('takes the file from DEED_CONFIG when none is given', async () => {
    const file = await yamlFile('http:\n  port: 8123\n');
    expect(loadConfig({ env: { DEED_CONFIG: file }, cwd: dir }).http.port).toBe(8123);
  });

  it('accepts an empty file', async () => {
    const file = await yamlFile('# nothing here\n');
    expect(loadConfig({ env: {}, file, cwd: dir }).http.port).toBe(8580);
  });

  it('accepts the boolean spellings', () => {
    for (const [value, expected] of [['true', true], ['1', true], ['YES', true], ['false', false], ['0', false], ['no', false]] as const) {
      expect(loadConfig({ env: { DEED_ALLOW_UNWRAPPED_KEYS: value }, cwd: dir }).joinServer.allowUnwrappedKeys).toBe(expected);
    }
  });

  it('understands the database URL forms', () => {
    const url = (value: string) => loadConfig({ env: { DEED_DATABASE_URL: value }, cwd: dir }).database;
    expect(url('postgresql://u@h/db')).toEqual({ url: 'postgresql://u@h/db', dialect: 'postgres' });
    expect(url('sqlite:///var/lib/deed.db')).toEqual({ url: 'sqlite:/var/lib/deed.db', dialect: 'sqlite' });
    expect(url('sqlite:x.db')).toEqual({ url: `sqlite:${join(dir, 'x.db')}`, dialect: 'sqlite' });
    expect(url('sqlite::memory:')).toEqual({ url: 'sqlite::memory:', dialect: 'sqlite' });
  });
});

describe('loadConfig errors', () => {
  it('names the setting and the bad value', () => {
    expect(configError(() => loadConfig({ env: { DEED_HTTP_PORT: 'abc' }, cwd: dir })).message).toBe(
      'DEED_HTTP_PORT: expected an integer from 1 to 65535, got "abc"',
    );
    const cases: [Record<string, string>, string][] = [
      [{ DEED_HTTP_PORT: '0' }, 'DEED_HTTP_PORT: expected an integer from 1 to 65535, got "0"'],
      [{ DEED_HTTP_PORT: '80.5' }, 'DEED_HTTP_PORT: expected an integer from 1 to 65535, got "80.5"'],
      [{ DEED_DEV_NONCE_HISTORY: '20000' }, 'DEED_DEV_NONCE_HISTORY: expected an integer from 1 to 16384, got "20000"'],
      [{ DEED_SESSION_KEYS_PER_DEVICE: '0' }, 'DEED_SESSION_KEYS_PER_DEVICE: expected an integer from 1 to 1000, got "0"'],
      [{ DEED_SESSION_LIFETIME: '-1' }, 'DEED_SESSION_LIFETIME: expected an integer from 0 to 2147483647, got "-1"'],
      [{ DEED_BODY_LIMIT: '1e6' }, 'DEED_BODY_LIMIT: expected an integer from 1024 to 1073741824, got "1e6"'],
      [{ DEED_ALLOW_UNWRAPPED_KEYS: 'maybe' }, 'DEED_ALLOW_UNWRAPPED_KEYS: expected true or false (or 1/0, yes/no), got "maybe"'],
      [{ DEED_LOG_LEVEL: 'verbose' }, 'DEED_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
      [{ DEED_HTTP_HOST: 'http://example.com' }, 'DEED_HTTP_HOST: expected a host name or IP address, got "http://example.com"'],
      [{ DEED_DATABASE_URL: 'mysql://root:pw@db/deed' }, 'DEED_DATABASE_URL: unsupported database "mysql:": expected sqlite:<path> or a postgres:// URL'],
    ];
    for (const [env, message] of cases) {
      expect(configError(() => loadConfig({ env, cwd: dir })).message).toBe(message);
    }
  });

  it('lists every problem at once', () => {
    const error = configError(() => loadConfig({ env: { DEED_HTTP_PORT: 'x', DEED_LOG_LEVEL: 'loud' }, cwd: dir }));
    expect(error.issues.map((issue) => issue.setting)).toEqual(['DEED_HTTP_PORT', 'DEED_LOG_LEVEL']);
    expect(error.message).toContain('\n  DEED_HTTP_PORT: ');
    expect(error.message).toContain('\n  DEED_LOG_LEVEL: ');
  });

  it('never repeats secrets', () => {
    const password = 'postgres://deed:hunter2@db:bad-port/deed';
    const masterKey = 'my-not-so-secret-master-key';
    const previous = `${randomBytes(32).toString('hex')},another-secret-value`;
    const error = configError(() =>
      loadConfig({ env: { DEED_DATABASE_URL: password, DEED_MASTER_KEY: masterKey, DEED_MASTER_KEY_PREVIOUS: previous }, cwd: dir }),
    );
    const text = `${error.message}\n${JSON.stringify(error.details)}\n${JSON.stringify(error.issues)}`;
    expect(text).toContain('DEED_DATABASE_URL: not a valid PostgreSQL URL');
    expect(text).toContain('DEED_MASTER_KEY: invalid value');
    expect(text).toContain('DEED_MASTER_KEY_PREVIOUS (entry 2 of 2): invalid value');
    for (const secret of ['hunter2', masterKey, 'another-secret-value', previous.slice(0, 64)]) expect(text).not.toContain(secret);
  });

  it('refuses an empty DEED_MASTER_KEY instead of silently using the key-ring file', () => {
    expect(configError(() => loadConfig({ env: { DEED_MASTER_KEY: '' }, cwd: dir })).message).toMatch(/^DEED_MASTER_KEY: invalid value: set but empty/);
  });

  it('refuses a secret of the wrong type in the file without showing it', async () => {
    const file = await yamlFile('adminPassword: 123456789\n');
    const error = configError(() => loadConfig({ env: {}, file, cwd: dir }));
    expect(error.message).toBe(`adminPassword in ${file}: invalid value: expected a string (quote it in YAML)`);
  });

  it('names bad values from the file by key and file', async () => {
    const file = await yamlFile('http:\n  port: 70000\njoinServer:\n  allowUnwrappedKeys: sometimes\n');
    const error = configError(() => loadConfig({ env: {}, file, cwd: dir }));
    expect(error.issues).toEqual([
      { setting: `http.port in ${file}`, message: 'expected an integer from 1 to 65535, got 70000' },
      { setting: `joinServer.allowUnwrappedKeys in ${file}`, message: 'expected true or false (or 1/0, yes/no), got "sometimes"' },
    ]);
  });

  it('refuses unknown keys in the file, naming them', async () => {
    const file = await yamlFile('http:\n  prot: 80\ndatadir: x\nfrobnicate: true\n');
    const error = configError(() => loadConfig({ env: {}, file, cwd: dir }));
    expect(error.issues).toEqual([
      { setting: file, message: 'unknown setting "http.prot" (did you mean "http.port"?)' },
      { setting: file, message: 'unknown setting "datadir" (did you mean "dataDir"?)' },
      { setting: file, message: 'unknown setting "frobnicate"' },
    ]);
  });

  it('refuses a section that is not a mapping', async () => {
    const file = await yamlFile('http: 8080\n');
    expect(configError(() => loadConfig({ env: {}, file, cwd: dir })).message).toBe(`http in ${file}: expected a mapping of settings`);
  });

  it('names a missing or unparseable config file', async () => {
    const missing = join(dir, 'nope.yaml');
    expect(configError(() => loadConfig({ env: {}, file: missing, cwd: dir })).message).toBe(`${missing}: config file not found`);
    const secret = randomBytes(32).toString('hex');
    const broken = await yamlFile(`http:\n  port: [1, 2\nmasterKey: ${secret}\n`);
    const error = configError(() => loadConfig({ env: {}, file: broken, cwd: dir }));
    expect(error.message).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML at line \\d+, column \\d+`));
    expect(error.message).not.toContain(secret);
    const list = await yamlFile('- a\n- b\n', 'list.yaml');
    expect(configError(() => loadConfig({ env: {}, file: list, cwd: dir })).message).toContain('expected a YAML mapping');
    const duplicate = await yamlFile('http:\n  port: 1\nhttp:\n  port: 2\n', 'dup.yaml');
    expect(configError(() => loadConfig({ env: {}, file: duplicate, cwd: dir })).message).toContain('not valid YAML');
  });
});

describe('HTTPS settings', () => {
  it('needs certificate and key when the port is set, and says which is missing', async () => {
    const tls = await tlsFiles();
    const error = configError(() => loadConfig({ env: { DEED_HTTPS_PORT: '8443', DEED_TLS_CERT: tls.cert }, cwd: dir }));
    expect(error.message).toBe('DEED_TLS_KEY (https.key): required when the HTTPS port is set');
  });

  it('checks the files exist and are readable', async () => {
    const tls = await tlsFiles();
    const missing = join(dir, 'missing-key.pem');
    const error = configError(() =>
      loadConfig({ env: { DEED_HTTPS_PORT: '8443', DEED_TLS_CERT: tls.cert, DEED_TLS_KEY: missing, DEED_TLS_CLIENT_CA: dir }, cwd: dir }),
    );
    expect(error.issues).toEqual([
      { setting: 'DEED_TLS_KEY', message: `file ${missing} does not exist` },
      { setting: 'DEED_TLS_CLIENT_CA', message: `${dir} is not a file` },
    ]);
    if (process.platform !== 'win32' && process.getuid?.() !== 0) {
      await chmod(tls.key, 0o000);
      const unreadable = configError(() => loadConfig({ env: { DEED_HTTPS_PORT: '8443', DEED_TLS_CERT: tls.cert, DEED_TLS_KEY: tls.key }, cwd: dir }));
      expect(unreadable.message).toBe(`DEED_TLS_KEY: file ${tls.key} cannot be read (EACCES)`);
    }
  });

  it('refuses TLS files without an HTTPS port, and the same port twice', async () => {
    const tls = await tlsFiles();
    expect(configError(() => loadConfig({ env: { DEED_TLS_CERT: tls.cert }, cwd: dir })).message).toMatch(/^DEED_TLS_CERT: set, but DEED_HTTPS_PORT/);
    const error = configError(() =>
      loadConfig({ env: { DEED_HTTPS_PORT: '8580', DEED_TLS_CERT: tls.cert, DEED_TLS_KEY: tls.key }, cwd: dir }),
    );
    expect(error.message).toBe('DEED_HTTPS_PORT: must differ from the HTTP port (8580)');
  });

  it('resolves TLS paths from the file relative to the file', async () => {
    await tlsFiles();
    const file = await yamlFile('https:\n  port: 8443\n  cert: cert.pem\n  key: ./key.pem\n');
    expect(loadConfig({ env: {}, file, cwd: '/' }).https).toEqual({ port: 8443, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  });
});

describe('printing the config', () => {
  it('redacts secrets in JSON, inspect and redactConfig', () => {
    const masterKey = randomBytes(32).toString('hex');
    const config = loadConfig({
      env: { DEED_MASTER_KEY: masterKey, DEED_ADMIN_PASSWORD: 'admin-secret', DEED_DATABASE_URL: 'postgres://deed:dbsecret@db/deed?sslkey=x' },
      cwd: dir,
    });
    expect(config.masterKey).toBe(masterKey);
    for (const printed of [JSON.stringify(config), inspect(config, { depth: 5 }), JSON.stringify(redactConfig(config))]) {
      expect(printed).not.toContain(masterKey);
      expect(printed).not.toContain('admin-secret');
      expect(printed).not.toContain('dbsecret');
      expect(printed).toContain('[redacted]');
      expect(printed).toContain('postgres://deed:***@db/deed');
    }
    // Spreading still copies every setting.
    expect({ ...config }.masterKey).toBe(masterKey);
  });
});

describe('findUnknownEnvVars', () => {
  it('lists DEED_ variables no setting reads', () => {
    expect(findUnknownEnvVars({ DEED_HTTP_PROT: '1', DEED_HTTP_PORT: '1', DEED_CONFIG: 'x', HOME: '/' })).toEqual(['DEED_HTTP_PROT']);
  });
});

describe('webhook settings', () => {
  it('reads them from the environment and the file', async () => {
    const env = {
      DEED_WEBHOOK_POLL_INTERVAL: '250', DEED_WEBHOOK_TIMEOUT: '5000', DEED_WEBHOOK_MAX_ATTEMPTS: '5',
      DEED_WEBHOOK_RETRY_BASE: '100', DEED_WEBHOOK_RETRY_MAX: '60000',
    };
    expect(loadConfig({ env, cwd: dir }).webhooks).toEqual({ pollIntervalMs: 250, timeoutMs: 5000, maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 60000 });
    const file = await yamlFile('webhooks:\n  pollIntervalMs: 1000\n  maxAttempts: 10\n', 'webhooks.yaml');
    expect(loadConfig({ env: {}, file, cwd: dir }).webhooks).toMatchObject({ pollIntervalMs: 1000, maxAttempts: 10 });
  });

  it('names a bad value, and a longest wait shorter than the first', () => {
    expect(configError(() => loadConfig({ env: { DEED_WEBHOOK_MAX_ATTEMPTS: '0' }, cwd: dir })).message)
      .toBe('DEED_WEBHOOK_MAX_ATTEMPTS: expected an integer from 1 to 100, got "0"');
    expect(configError(() => loadConfig({ env: { DEED_WEBHOOK_RETRY_BASE: '5000', DEED_WEBHOOK_RETRY_MAX: '1000' }, cwd: dir })).message)
      .toBe('DEED_WEBHOOK_RETRY_MAX: the longest retry wait (1000 ms) is shorter than the first (5000 ms)');
  });
});

describe('claim brute-force settings', () => {
  it('reads them from the environment and the file, the environment first', async () => {
    const env = {
      DEED_CLAIM_MAX_FAILURES_DEVICE: '3', DEED_CLAIM_MAX_FAILURES_ACCOUNT: '10', DEED_CLAIM_MAX_FAILURES_ADDRESS: '100',
      DEED_CLAIM_LOCKOUT_SECONDS: '1', DEED_CLAIM_LOCKOUT_MAX_SECONDS: '8', DEED_CLAIM_FAILURE_WINDOW_SECONDS: '600',
    };
    expect(loadConfig({ env, cwd: dir }).claims).toEqual({
      maxFailuresDevice: 3, maxFailuresAccount: 10, maxFailuresAddress: 100, lockoutSeconds: 1, lockoutMaxSeconds: 8, failureWindowSeconds: 600,
    });
    const file = await yamlFile('claims:\n  maxFailuresDevice: 7\n  lockoutSeconds: 30\n  lockoutMaxSeconds: 30\n', 'claims.yaml');
    expect(loadConfig({ env: {}, file, cwd: dir }).claims).toMatchObject({ maxFailuresDevice: 7, lockoutSeconds: 30, lockoutMaxSeconds: 30 });
    expect(loadConfig({ env: { DEED_CLAIM_MAX_FAILURES_DEVICE: '2' }, file, cwd: dir }).claims.maxFailuresDevice).toBe(2);
    expect(Object.isFrozen(loadConfig({ env: {}, cwd: dir }).claims)).toBe(true);
  });

  it('accepts the bounds and names every value outside them', () => {
    const bounds: [string, number, number][] = [
      ['DEED_CLAIM_MAX_FAILURES_DEVICE', 1, 1000],
      ['DEED_CLAIM_MAX_FAILURES_ACCOUNT', 1, 100000],
      ['DEED_CLAIM_MAX_FAILURES_ADDRESS', 1, 1000000],
      ['DEED_CLAIM_LOCKOUT_SECONDS', 1, 86400],
      ['DEED_CLAIM_LOCKOUT_MAX_SECONDS', 1, 2592000],
      ['DEED_CLAIM_FAILURE_WINDOW_SECONDS', 1, 2592000],
    ];
    // Lock-outs from 1 s to 30 days, so either lock-out setting can reach its own bounds.
    const widest = { DEED_CLAIM_LOCKOUT_SECONDS: '1', DEED_CLAIM_LOCKOUT_MAX_SECONDS: '2592000' };
    for (const [name, min, max] of bounds) {
      expect(() => loadConfig({ env: { ...widest, [name]: String(min) }, cwd: dir })).not.toThrow();
      expect(() => loadConfig({ env: { ...widest, [name]: String(max) }, cwd: dir })).not.toThrow();
      for (const bad of [String(min - 1), String(max + 1), 'often', '2.5', '-3']) {
        expect(configError(() => loadConfig({ env: { ...widest, [name]: bad }, cwd: dir })).message)
          .toBe(`${name}: expected an integer from ${min} to ${max}, got "${bad}"`);
      }
    }
  });

  it('names a file value by key and file', async () => {
    const file = await yamlFile('claims:\n  maxFailuresAddress: 0\n  lockoutSecond: 5\n', 'bad-claims.yaml');
    expect(configError(() => loadConfig({ env: {}, file, cwd: dir })).issues).toEqual([
      { setting: file, message: 'unknown setting "claims.lockoutSecond" (did you mean "claims.lockoutSeconds"?)' },
      { setting: `claims.maxFailuresAddress in ${file}`, message: 'expected an integer from 1 to 1000000, got 0' },
    ]);
  });

  it('refuses a longest lock-out shorter than the first', () => {
    expect(configError(() => loadConfig({ env: { DEED_CLAIM_LOCKOUT_MAX_SECONDS: '30' }, cwd: dir })).message)
      .toBe('DEED_CLAIM_LOCKOUT_MAX_SECONDS: the longest lock-out (30 s) is shorter than the first (60 s)');
    expect(configError(() => loadConfig({ env: { DEED_CLAIM_LOCKOUT_SECONDS: '7200' }, cwd: dir })).message)
      .toBe('DEED_CLAIM_LOCKOUT_SECONDS: the longest lock-out (3600 s) is shorter than the first (7200 s)');
  });

  it('knows the variables', () => {
    expect(findUnknownEnvVars({ DEED_CLAIM_LOCKOUT_SECONDS: '1', DEED_CLAIM_LOCKOUT: '1' })).toEqual(['DEED_CLAIM_LOCKOUT']);
  });
});

describe('worker processes', () => {
  it('reads a count or auto (one per CPU), from the environment or the file', async () => {
    expect(loadConfig({ env: { DEED_WORKERS: '3' }, cwd: dir }).workers).toBe(3);
    expect(loadConfig({ env: { DEED_WORKERS: ' auto ' }, cwd: dir, cpus: 6 }).workers).toBe(6);
    expect(loadConfig({ env: { DEED_WORKERS: 'AUTO' }, cwd: dir, cpus: 200 }).workers).toBe(64);
    const file = await yamlFile('workers: 2\n', 'workers.yaml');
    expect(loadConfig({ env: {}, file, cwd: dir }).workers).toBe(2);
    const auto = await yamlFile('workers: auto\n', 'workers-auto.yaml');
    expect(loadConfig({ env: {}, file: auto, cwd: dir, cpus: 2 }).workers).toBe(2);
  });

  it('names a bad count', async () => {
    for (const bad of ['0', '65', '-1', '1.5', 'two', 'max']) {
      expect(configError(() => loadConfig({ env: { DEED_WORKERS: bad }, cwd: dir })).message)
        .toBe(`DEED_WORKERS: expected "auto" or an integer from 1 to 64, got ${JSON.stringify(bad)}`);
    }
    const file = await yamlFile('workers: [1]\n', 'bad-workers.yaml');
    expect(configError(() => loadConfig({ env: {}, file, cwd: dir })).issues)
      .toEqual([{ setting: `workers in ${file}`, message: 'expected "auto" or an integer from 1 to 64, got a list' }]);
  });

  it('refuses several workers on an in-memory SQLite database', () => {
    expect(loadConfig({ env: { DEED_WORKERS: '1', DEED_DATABASE_URL: ':memory:' }, cwd: dir }).workers).toBe(1);
    expect(configError(() => loadConfig({ env: { DEED_WORKERS: '2', DEED_DATABASE_URL: ':memory:' }, cwd: dir })).message)
      .toBe('DEED_WORKERS: 2 workers cannot share an in-memory SQLite database (each process would have its own); use a file or PostgreSQL');
  });
});
