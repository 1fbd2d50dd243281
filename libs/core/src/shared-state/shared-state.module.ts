import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { EventLog, MemoryEventLog, RedisEventLog } from './event-log.js';
import { Leases, MemoryLeases, RedisLeases } from './leases.js';
import { MemoryPubSub, PubSub, RedisPubSub } from './pub-sub.js';

/**
 * What the processes of a deployment share beyond the database: pub/sub, event logs and
 * leases, on Redis when REDIS_URL is set, in process memory otherwise (one process).
 */
@Global()
@Module({
  providers: [
    {
      provide: PubSub,
      inject: [REDIS_CLIENT, APP_CONFIG],
      useFactory: (redis: Redis | null, config: AppConfig) => (redis ? new RedisPubSub(redis, config.redis.keyPrefix) : new MemoryPubSub()),
    },
    {
      provide: EventLog,
      inject: [REDIS_CLIENT, PubSub, APP_CONFIG],
      useFactory: (redis: Redis | null, pubsub: PubSub, config: AppConfig) =>
        redis ? new RedisEventLog(redis, pubsub, config.redis.keyPrefix) : new MemoryEventLog(pubsub),
    },
    {
      provide: Leases,
      inject: [REDIS_CLIENT],
      useFactory: (redis: Redis | null) => (redis ? new RedisLeases(redis) : new MemoryLeases()),
    },
  ],
  exports: [PubSub, EventLog, Leases],
})
export class SharedStateModule implements OnApplicationShutdown {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pubsub.close();
  }
}
