import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ROLES } from '../../accounts/account.js';
import type { Authenticator } from '../../accounts/authenticate.js';
import { DEVICE_EVENT_TYPES } from '../../devices/device-event.js';
import {
  createWebhook, listWebhooks, removeWebhook, setWebhookDisabled, type WebhookAdminDeps,
} from '../../events/manage-webhooks.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

const EventTypeSchema = Type.Union(DEVICE_EVENT_TYPES.map((type) => Type.Literal(type)));

/** What the API shows of a webhook: never its secret, except in the answer that creates it. */
export const WebhookViewSchema = Type.Object({
  id: Type.String(),
  owner: Type.String({ description: 'Username of the account that registered it' }),
  url: Type.String(),
  events: Type.Array(EventTypeSchema),
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
}, { $id: 'Webhook' });

const CreatedWebhookSchema = Type.Object({
  ...WebhookViewSchema.properties,
  secret: Type.String({ description: 'The signing secret (whsec_…), returned this once: verify Deed-Signature with it (docs/events.md).' }),
});

const CreateWebhookSchema = Type.Object({
  url: Type.String({ maxLength: 2048, description: 'An absolute http:// or https:// URL, without credentials', examples: ['https://example.com/deed-events'] }),
  events: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, uniqueItems: true, description: 'Event types to receive; all when absent' })),
}, { additionalProperties: false });

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * Webhooks under `/api/v1/webhooks`: every account manages its own (an admin anyone's, and an
 * admin's webhooks receive every account's events). API keys need `webhooks:write`.
 */
export async function webhookRoutes(app: FastifyInstance, deps: WebhookAdminDeps & { auth: Authenticator }): Promise<void> {
  const preHandler = requireAccount(deps.auth, ROLES, 'webhooks:write');
  const security = routeSecurity('webhooks:write');
  const tags = ['webhooks'];

  app.post('/api/v1/webhooks', {
    preHandler,
    schema: {
      summary: 'Register a webhook for your devices\' events; its signing secret is in this response only', tags, security,
      body: CreateWebhookSchema, response: { 201: CreatedWebhookSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(await createWebhook(deps, authenticatedAccount(request), request.body as Record<string, unknown>)));

  app.get('/api/v1/webhooks', {
    preHandler,
    schema: { summary: 'Your webhooks, oldest first (an admin: everyone\'s); never their secrets', tags, security, response: { 200: Type.Array(WebhookViewSchema), ...errorResponses } },
  }, async (request) => listWebhooks(deps, authenticatedAccount(request)));

  app.delete('/api/v1/webhooks/:id', {
    preHandler,
    schema: { summary: 'Remove a webhook and its pending deliveries', tags, security, params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await removeWebhook(deps, authenticatedAccount(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/api/v1/webhooks/:id/${action}`, {
      preHandler,
      schema: {
        summary: action === 'disable'
          ? 'Disable a webhook: events that happen meanwhile are not delivered to it; pending deliveries wait'
          : 'Enable a disabled webhook again',
        tags, security, params: IdParams, response: { 200: WebhookViewSchema, ...errorResponses },
      },
    }, async (request) => setWebhookDisabled(deps, authenticatedAccount(request), (request.params as { id: string }).id, action === 'disable'));
  }
}
