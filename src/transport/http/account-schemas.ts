import { Type } from '@sinclair/typebox';
import { ROLES } from '../../accounts/account.js';
import { SCOPES, SCOPE_DESCRIPTIONS } from '../../accounts/scopes.js';

/** JSON schemas of accounts and API keys. Response schemas are allow-lists: never a password or key hash. */
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const RoleSchema = Type.Union(ROLES.map((role) => Type.Literal(role)), { description: 'admin, provisioner or owner' });

export const ScopeSchema = Type.Union(SCOPES.map((scope) => Type.Literal(scope)), {
  description: SCOPES.map((scope) => `${scope}: ${SCOPE_DESCRIPTIONS[scope]}`).join('; '),
});

export const AccountViewSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
}, { $id: 'Account' });

export const AddAccountSchema = Type.Object({
  username: Type.String({ minLength: 3, maxLength: 64, description: 'lower-case letters, digits, ".", "_", "-"; starts with a letter or digit', examples: ['acme-factory'] }),
  password: Type.String({ minLength: 12, maxLength: 1024, description: 'at least 12 characters' }),
  role: RoleSchema,
}, { additionalProperties: false });

export const ChangePasswordSchema = Type.Object({
  currentPassword: Type.String({ maxLength: 1024 }),
  newPassword: Type.String({ minLength: 12, maxLength: 1024 }),
}, { additionalProperties: false });

export const MeSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  authenticatedWith: Type.Union([Type.Literal('password'), Type.Literal('api-key')]),
  scopes: Type.Array(Type.String(), { description: 'What this request may do: the role\'s scopes, or the API key\'s (within the role).' }),
  apiKeyId: Type.Optional(Type.String({ description: 'The API key the request used' })),
});

export const ApiKeyViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Nullable(Type.String({ format: 'date-time', description: 'recorded at most once a minute' })),
  expiresAt: Nullable(Type.String({ format: 'date-time' })),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
}, { $id: 'ApiKey' });

export const CreatedApiKeySchema = Type.Object({
  ...ApiKeyViewSchema.properties,
  key: Type.String({ description: 'The API key (dk_…), returned this once: only its SHA-256 is stored.' }),
});

export const CreateApiKeySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, examples: ['label printer'] }),
  scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
  expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
}, { additionalProperties: false });

export const UsernameParams = Type.Object({ username: Type.String({ description: 'Account name' }) });
export const ApiKeyIdParams = Type.Object({ id: Type.String({ description: 'API key id' }) });
export const AccountApiKeyParams = Type.Object({ username: Type.String(), id: Type.String({ description: 'API key id' }) });
