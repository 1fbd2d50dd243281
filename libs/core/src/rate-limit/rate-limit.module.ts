import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { ClientIpTierResolver, RateLimitTierResolver } from './rate-limit-tier.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimiter } from './rate-limiter.js';
import { MemoryThrottlerStorage, RedisThrottlerStorage } from './throttler-storage.js';

export interface RateLimitModuleOptions {
  /** Decides the tiers and each request's tier; by default every client IP gets RATE_LIMIT_DEFAULT per window. */
  readonly tierResolver?: Type<RateLimitTierResolver>;
}

/**
 * A global per-caller rate limit on every route (opt out with `@SkipRateLimit()`) and on every
 * request no route matched: @nestjs/throttler with a named throttler per tier, counted in
 * process memory, or in Redis when REDIS_URL is set so that all processes share the budget.
 */
@Global()
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions = {}): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRootAsync({
          inject: [RateLimitTierResolver, REDIS_CLIENT],
          useFactory: (resolver: RateLimitTierResolver, redis: Redis | null): ThrottlerModuleOptions => ({
            throttlers: resolver.tiers().map((tier) => ({ name: tier.name, limit: tier.limit, ttl: tier.windowSeconds * 1000 })),
            storage: redis ? new RedisThrottlerStorage(redis) : new MemoryThrottlerStorage(),
            // RateLimiter sets the IETF RateLimit headers instead.
            setHeaders: false,
          }),
        }),
      ],
      providers: [
        { provide: RateLimitTierResolver, useClass: options.tierResolver ?? ClientIpTierResolver },
        RateLimiter,
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
      exports: [RateLimitTierResolver, RateLimiter],
    };
  }
}
