import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** Injection token for the shared Redis client: a `Redis`, or null when REDIS_URL is unset. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

const CONNECT_TIMEOUT_MS = 5_000;

/** Opens a client and waits for the connection, so a wrong REDIS_URL stops boot with a clear message. */
export async function connectRedis(url: string, keyPrefix: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    keyPrefix,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Commands fail at once while disconnected instead of queueing behind a dead connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Without a listener ioredis prints every reconnect failure, stack and all, to the console.
  const logger = new Logger('Redis');
  client.on('error', (error: Error) => logger.warn(`Redis connection error: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis at REDIS_URL is unreachable: ${(error as Error).message}`, { cause: error });
  }
  return client;
}

@Global()
@Module({})
export class RedisModule implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis | null) {}

  static forRoot(): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          inject: [APP_CONFIG],
          useFactory: ({ redis }: AppConfig) => (redis.url ? connectRedis(redis.url, redis.keyPrefix) : null),
        },
      ],
      exports: [REDIS_CLIENT],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client) return;
    await this.client.quit().catch(() => this.client?.disconnect());
    this.logger.log('Redis connection closed');
  }
}
