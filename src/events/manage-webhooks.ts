import type { AccountRecord, AccountStore } from '../accounts/account.js';
import { DEVICE_EVENT_TYPES, type DeviceEventType } from '../devices/device-event.js';
import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import { generateToken } from '../keyvault/secret-token.js';
import { InvalidInputError, NotFoundError } from '../shared/errors.js';
import type { WebhookRecord, WebhookStore } from './webhook.js';
import { toWebhookView, type WebhookView } from './webhook-view.js';

/** What webhook management needs. */
export interface WebhookAdminDeps {
  readonly webhooks: WebhookStore;
  readonly accounts: Pick<AccountStore, 'getById'>;
  readonly vault: { seal(plaintext: Uint8Array, context: string): Sealed };
  readonly random: { bytes(n: number): Uint8Array };
}

/** A webhook to register, as a transport received it (validated here). */
export interface CreateWebhookInput {
  readonly url?: unknown;
  /** Event types; absent or null: every type there is now. */
  readonly events?: unknown;
}

/** Prefix of webhook signing secrets, so a leaked one is recognisable. */
export const WEBHOOK_SECRET_PREFIX = 'whsec';
const SECRET_BYTES = 32;
const URL_MAX_LENGTH = 2048;
/** Webhooks one account may register. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;

/**
 * An absolute http(s) URL without credentials or fragment, normalised. Credentials do not
 * belong in it (the URL is stored and listed in the clear): the signature authenticates Deed.
 */
export function parseWebhookUrl(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = text.length > 0 && text.length <= URL_MAX_LENGTH ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    throw new InvalidInputError(`url: expected an absolute http:// or https:// URL of at most ${URL_MAX_LENGTH} characters`, 'url');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidInputError('url: must not contain a username or password (it is stored and listed in the clear; verify the Deed-Signature header instead)', 'url');
  }
  if (url.hash !== '') throw new InvalidInputError('url: must not contain a #fragment', 'url');
  return url.href;
}

/** Known, distinct event types in canonical order; every type when absent. */
export function parseEventTypes(value: unknown): DeviceEventType[] {
  if (value === undefined || value === null) return [...DEVICE_EVENT_TYPES];
  const known = DEVICE_EVENT_TYPES as readonly unknown[];
  if (!Array.isArray(value) || value.length === 0 || !value.every((type) => known.includes(type))) {
    throw new InvalidInputError(`events: expected a list of one or more of ${DEVICE_EVENT_TYPES.join(', ')}`, 'events');
  }
  return DEVICE_EVENT_TYPES.filter((type) => value.includes(type));
}

async function usernames(deps: WebhookAdminDeps, webhooks: readonly WebhookRecord[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const ownerId of new Set(webhooks.map((webhook) => webhook.ownerId))) {
    names.set(ownerId, (await deps.accounts.getById(ownerId))?.username ?? ownerId);
  }
  return names;
}

/** A webhook the actor may manage: its own, or (admins) any. Others' are "not found". */
async function ownWebhook(deps: WebhookAdminDeps, actor: AccountRecord, id: string): Promise<WebhookRecord> {
  const webhook = await deps.webhooks.get(id);
  if (webhook === null || (actor.role !== 'admin' && webhook.ownerId !== actor.id)) throw new NotFoundError(`no webhook with id ${id}`);
  return webhook;
}

/**
 * Registers a webhook for the actor: it will receive the actor's events of the chosen types
 * (an admin's: every account's). Returns the signing secret (`whsec_…`) this once; it is
 * stored sealed under `webhook:<id>:secret`.
 */
export async function createWebhook(
  deps: WebhookAdminDeps, actor: AccountRecord, input: CreateWebhookInput,
): Promise<WebhookView & { secret: string }> {
  const url = parseWebhookUrl(input.url);
  const eventTypes = parseEventTypes(input.events);
  if ((await deps.webhooks.listByOwner(actor.id)).length >= MAX_WEBHOOKS_PER_ACCOUNT) {
    throw new InvalidInputError(`an account may register at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks; remove one first`);
  }
  const id = Buffer.from(deps.random.bytes(8)).toString('hex');
  const secret = generateToken(WEBHOOK_SECRET_PREFIX, SECRET_BYTES);
  const plaintext = Buffer.from(secret, 'utf8');
  const sealed = deps.vault.seal(plaintext, sealContext.webhookSecret(id));
  plaintext.fill(0);
  const created = await deps.webhooks.create({ id, ownerId: actor.id, url, secret: sealed, eventTypes });
  return { ...toWebhookView(created, actor.username), secret };
}

/** The actor's webhooks, oldest first; an admin's answer lists every account's. */
export async function listWebhooks(deps: WebhookAdminDeps, actor: AccountRecord): Promise<WebhookView[]> {
  const webhooks = actor.role === 'admin' ? await deps.webhooks.list() : await deps.webhooks.listByOwner(actor.id);
  const names = await usernames(deps, webhooks);
  return webhooks.map((webhook) => toWebhookView(webhook, names.get(webhook.ownerId) ?? webhook.ownerId));
}

/** Removes one of the actor's webhooks (an admin: anyone's), with its pending deliveries. */
export async function removeWebhook(deps: WebhookAdminDeps, actor: AccountRecord, id: string): Promise<void> {
  const webhook = await ownWebhook(deps, actor, id);
  if (!(await deps.webhooks.remove(webhook.id))) throw new NotFoundError(`no webhook with id ${id}`);
}

/**
 * Disables or enables one of the actor's webhooks (an admin: anyone's). Events that happen
 * while it is disabled are not delivered to it; deliveries pending when it was disabled resume
 * when it is enabled again.
 */
export async function setWebhookDisabled(deps: WebhookAdminDeps, actor: AccountRecord, id: string, disabled: boolean): Promise<WebhookView> {
  const webhook = await ownWebhook(deps, actor, id);
  if (!(await deps.webhooks.setDisabled(webhook.id, disabled))) throw new NotFoundError(`no webhook with id ${id}`);
  const names = await usernames(deps, [webhook]);
  return toWebhookView({ ...webhook, disabled }, names.get(webhook.ownerId) ?? webhook.ownerId);
}
