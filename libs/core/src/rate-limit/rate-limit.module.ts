import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { ClientIpTierResolver, RateLimitTierResolver } from './rate-limit-tier.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';
import { RateLimiter } from './rate-limiter.js';

export interface RateLimitModuleOptions {
  /** Decides each request's tier; by default every client IP gets RATE_LIMIT_DEFAULT per window. */
  readonly tierResolver?: Type<RateLimitTierResolver>;
}

/**
 * A global per-caller rate limit on every route (opt out with `@SkipRateLimit()`), counted in
 * process memory, or in Redis when REDIS_URL is set so that all processes share the budget.
 */
@Global()
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions = {}): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [
        {
          provide: RateLimitStore,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null) => (redis ? new RedisRateLimitStore(redis) : new MemoryRateLimitStore()),
        },
        RateLimiter,
        { provide: RateLimitTierResolver, useClass: options.tierResolver ?? ClientIpTierResolver },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
      exports: [RateLimiter],
    };
  }
}
