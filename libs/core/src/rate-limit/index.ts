export { RateLimitModule, type RateLimitModuleOptions } from './rate-limit.module.js';
export { RateLimitGuard, SkipRateLimit } from './rate-limit.guard.js';
export { RateLimiter, type RateLimitBudget, type RateLimitState } from './rate-limiter.js';
export { ClientIpTierResolver, RateLimitTierResolver, type RateLimitTier } from './rate-limit-tier.js';
export { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore, type RateLimitHit } from './rate-limit.store.js';
