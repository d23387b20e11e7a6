import { Redis } from 'ioredis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';

/** Keys aedes' persistence writes, under one prefix so Deed can share a Redis with others. */
export const REDIS_KEY_PREFIX = 'deed:mqtt:';

/** The broker state several `deed serve` instances share: message emitter and persistence. */
export interface SharedMqttState {
  /** aedes' `mq` option: publishes of one instance reach subscribers on every instance. */
  readonly mq: unknown;
  /** aedes' `persistence` option: sessions, subscriptions, retained messages, wills. */
  readonly persistence: unknown;
  /** Disconnects the persistence (the broker closes the emitter). */
  close(): Promise<void>;
}

/** Errors of a Redis connection, once per kind of failure until it recovers. */
function watch(conn: Redis, name: string, log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }): Redis {
  let failing = false;
  conn.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    // ioredis' messages name host and port, never the password.
    log.warn({ connection: name, err: { name: error.name, message: error.message } }, 'Redis connection failed; retrying');
  });
  conn.on('ready', () => {
    if (failing) log.info({ connection: name }, 'Redis connection is back');
    failing = false;
  });
  return conn;
}

/**
 * Connects to the Redis at `url` (DEED_REDIS_URL) for aedes: mqemitter-redis carries messages
 * between instances, aedes-persistence-redis keeps sessions and subscriptions. Fails within
 * `connectTimeoutMs` with a message naming the setting, never the URL (it may hold a password).
 */
export async function connectSharedMqttState(
  url: string,
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  connectTimeoutMs = 5_000,
): Promise<SharedMqttState> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The socket's own error (e.g. ECONNREFUSED host:port) says more than the rejection.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => { cause ??= error; });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    probe.disconnect();
    const reason = (cause ?? (error as Error)).message;
    throw new Error(`DEED_REDIS_URL: cannot connect to Redis (${reason}); check the URL and that Redis runs, or unset DEED_REDIS_URL for a single instance`);
  }
  probe.disconnect();

  const options = { connectTimeout: connectTimeoutMs };
  const store = watch(new Redis(url, { ...options, keyPrefix: REDIS_KEY_PREFIX }), 'persistence', log);
  const persistence = aedesPersistenceRedis({ conn: store });
  const mq = mqemitterRedis({
    subConn: watch(new Redis(url, options), 'subscriber', log),
    pubConn: watch(new Redis(url, options), 'publisher', log),
  });
  let closed = false;
  return {
    mq,
    persistence,
    async close() {
      if (closed) return;
      closed = true;
      await persistence.destroy().catch(() => undefined);
    },
  };
}
