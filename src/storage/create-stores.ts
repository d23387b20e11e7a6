import { sql } from 'kysely';
import type { AccountStore } from '../accounts/account.js';
import type { ApplicationStore } from '../applications/application.js';
import type { ApiKeyStore } from '../accounts/api-key.js';
import type { DeviceStore } from '../devices/device.js';
import type { AuditLog } from '../audit/audit-event.js';
import type { AttemptLimiter } from '../claiming/attempt-limiter.js';
import type { IpDeviceStore } from '../claiming/ip-device.js';
import type { SealedValueStore } from '../keyvault/sealed-value-store.js';
import type { PeerStore } from '../peers/peer.js';
import type { WebhookDeliveryStore, WebhookStore } from '../events/webhook.js';
import { createAccountRepository } from './account-repository.js';
import { createApiKeyRepository } from './api-key-repository.js';
import { createApplicationRepository } from './application-repository.js';
import { type AttemptLimits, createAttemptLimiter } from './attempt-repository.js';
import { createAuditRepository } from './audit-repository.js';
import type { DatabaseHandle } from './database-handle.js';
import { createDeviceRepository, type JoinPath } from './device-repository.js';
import { createIpDeviceRepository } from './ip-device-repository.js';
import { createPeerRepository } from './peer-repository.js';
import { createSealedValueRepository } from './sealed-value-repository.js';
import { createWebhookDeliveryRepository } from './webhook-delivery-repository.js';
import { createWebhookRepository } from './webhook-repository.js';

/** Every storage port, over one open (and migrated) database. */
export interface Stores {
  readonly devices: DeviceStore;
  readonly peers: PeerStore;
  readonly accounts: AccountStore;
  readonly applications: ApplicationStore;
  readonly apiKeys: ApiKeyStore;
  readonly sealedValues: SealedValueStore;
  /** The append-only, hash-chained audit log. */
  readonly audit: AuditLog;
  /** Failed-claim counters and lock-outs (brute-force protection), shared by every process. */
  readonly attempts: AttemptLimiter;
  /** IP devices (ThingsBoard-style claiming) and their claim windows. */
  readonly ipDevices: IpDeviceStore;
  /** Webhooks of accounts, and the durable queue of their deliveries (docs/events.md). */
  readonly webhooks: WebhookStore;
  readonly webhookDeliveries: WebhookDeliveryStore;
  /** Resolves when the database answers a trivial query (readiness probe); a plain function. */
  readonly ping: () => Promise<void>;
}

/** Options of {@link createStores}. */
export interface CreateStoresOptions {
  /** Source of `createdAt` / `updatedAt`; the system clock by default. */
  readonly now?: () => Date;
  /** See `DeviceRepositoryOptions.joinPath`; `native` by default. */
  readonly joinPath?: JoinPath;
  /** Thresholds and lock-outs of `attempts` (`config.claims`); `DEFAULT_ATTEMPT_LIMITS` by default. */
  readonly attemptLimits?: AttemptLimits;
}

/** Builds the stores over `handle`. Call `migrateToLatest(handle)` first. */
export function createStores(handle: DatabaseHandle, options: CreateStoresOptions = {}): Stores {
  const clock = options.now === undefined ? {} : { now: options.now };
  return {
    devices: createDeviceRepository(
      handle,
      options.joinPath === undefined ? clock : { ...clock, joinPath: options.joinPath },
    ),
    peers: createPeerRepository(handle, clock),
    accounts: createAccountRepository(handle, clock),
    applications: createApplicationRepository(handle, clock),
    apiKeys: createApiKeyRepository(handle, clock),
    sealedValues: createSealedValueRepository(handle),
    audit: createAuditRepository(handle, clock),
    attempts: createAttemptLimiter(handle, options.attemptLimits),
    ipDevices: createIpDeviceRepository(handle, clock),
    webhooks: createWebhookRepository(handle, clock),
    webhookDeliveries: createWebhookDeliveryRepository(handle),
    ping: async () => {
      await sql`select 1`.execute(handle.db);
    },
  };
}
