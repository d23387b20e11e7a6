// aedes-persistence-redis ships no types: the part Deed uses.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  interface AedesPersistenceRedisOptions {
    /** A connection to use instead of one built from ioredis options. */
    readonly conn?: Redis;
    readonly maxSessionDelivery?: number;
  }

  /** An aedes persistence (async interface when called without callbacks). */
  interface AedesPersistenceRedis {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }

  function aedesPersistenceRedis(options?: AedesPersistenceRedisOptions): AedesPersistenceRedis;
  export default aedesPersistenceRedis;
}
