/**
 * Server configuration: environment + optional YAML file → one validated, deeply frozen
 * {@link Config}, built once at the edge (`deed serve`, `deed keys rotate`) and passed down.
 */
export type { ClaimsConfig, Config, DatabaseConfig, HttpConfig, HttpsConfig, JoinServerConfig, LogLevel, WebhooksConfig } from './config.js';
export { LOG_LEVELS } from './config.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export { loadConfig, type LoadConfigInput } from './load-config.js';
export { redactConfig } from './redact-config.js';
export { CONFIG_ENV_VARS, CONFIG_FILE_KEYS, SETTINGS, findUnknownEnvVars, type SettingName } from './settings.js';
