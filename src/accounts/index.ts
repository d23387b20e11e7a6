/**
 * Accounts (admin, provisioner, owner), their passwords and their API keys: storage ports,
 * authentication, scopes and the management use cases. docs/accounts.md describes the rules.
 */
export { ROLES, isRole, type AccountRecord, type AccountStore, type NewAccount, type Role } from './account.js';
export { API_KEY_TOUCH_INTERVAL_MS, type ApiKeyRecord, type ApiKeyStore, type NewApiKey } from './api-key.js';
export { ROLE_SCOPES, SCOPES, SCOPE_DESCRIPTIONS, effectiveScopes, isScope, roleAllowsScope, type Scope } from './scopes.js';
export { apiKeyStatus, toAccountView, toApiKeyView, type AccountView, type ApiKeyStatus, type ApiKeyView } from './account-view.js';
export {
  createAuthenticator, type Authenticator, type AuthenticatorStores, type PasswordVerifier, type Principal,
} from './authenticate.js';
export { ensureAdminAccount } from './ensure-admin.js';
export {
  PASSWORD_MIN_LENGTH, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, addAccount, changePassword, disableAccount, enableAccount,
  listAccounts, parsePassword, parseUsername, type AccountAdminDeps, type AddAccountInput, type ChangePasswordInput,
} from './manage-accounts.js';
export {
  API_KEY_PREFIX, createApiKey, listApiKeys, looksLikeApiKey, revokeApiKey, type ApiKeyAdminDeps, type CreateApiKeyInput,
} from './manage-api-keys.js';
