export { RateLimitModule, type RateLimitModuleOptions } from './rate-limit.module.js';
export { SkipRateLimit } from './rate-limit.guard.js';
export { RateLimiter, type RateLimitBudget, type RateLimitState } from './rate-limiter.js';
export {
  ClientIpTierResolver,
  RateLimitTierResolver,
  anonymousCaller,
  anonymousTier,
  type RateLimitCaller,
  type RateLimitTier,
} from './rate-limit-tier.js';
export { MemoryThrottlerStorage, RedisThrottlerStorage } from './throttler-storage.js';
