import type { Role } from './account.js';

/**
 * What an API key may do. Every management route declares one scope; a request authenticated
 * with an API key passes only when the key carries it (and the account's role allows the route).
 * docs/accounts.md has the table.
 */
export const SCOPES = Object.freeze([
  'devices:read',
  'devices:write',
  'devices:export-keys',
  'claims:write',
  'peers:admin',
  'accounts:admin',
  'audit:read',
  'webhooks:write',
] as const);

export type Scope = (typeof SCOPES)[number];

/** One line per scope, for documentation and `--help`. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = Object.freeze({
  'devices:read': 'list and show devices (never their keys)',
  'devices:write': 'register, change and remove devices',
  'devices:export-keys': 'export devices\' root keys (marks them exposed)',
  'claims:write': 'claim and release devices',
  'peers:admin': 'manage Network and Application Server peers',
  'accounts:admin': 'create, list, disable and enable accounts; list and revoke anyone\'s API keys',
  'audit:read': 'read and verify the audit log',
  'webhooks:write': 'register, list and remove your webhooks (they receive your devices\' events)',
});

/** The scopes each role may put on its API keys: a key never exceeds its account's role. */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = Object.freeze({
  admin: SCOPES,
  provisioner: Object.freeze(['devices:read', 'devices:write', 'devices:export-keys', 'webhooks:write'] as const),
  owner: Object.freeze(['devices:read', 'devices:write', 'claims:write', 'webhooks:write'] as const),
});

/** True when `value` names a scope. */
export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** True when an account with `role` may hold `scope`. */
export function roleAllowsScope(role: Role, scope: string): boolean {
  return (ROLE_SCOPES[role] as readonly string[]).includes(scope);
}

/** The scopes of a key that its account's role still allows (the effective scopes). */
export function effectiveScopes(role: Role, scopes: readonly string[]): Scope[] {
  return ROLE_SCOPES[role].filter((scope) => scopes.includes(scope));
}
