import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

/** The outcome of counting one request against a budget. */
export interface RateLimitHit {
  /** Requests counted in the current window, this one included. */
  readonly count: number;
  /** Milliseconds until the window ends and the budget is whole again. */
  readonly resetMs: number;
}

/** Where request counts live: process memory, or Redis so that every process shares them. */
export abstract class RateLimitStore {
  /** Counts one request for `key` in a fixed window of `windowMs`. */
  abstract hit(key: string, windowMs: number): Promise<RateLimitHit>;
}

/** Fixed-window counters in process memory; expired windows are swept once a minute. */
export class MemoryRateLimitStore extends RateLimitStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor() {
    super();
    setInterval(() => this.sweep(), 60_000).unref();
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.endsAt - now };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/** Count and window expiry in one atomic step, whichever process runs it. Returns {count, ms left}. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

type RedisWithHit = Redis & { chorusRateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

/**
 * Fixed-window counters in Redis, shared by every API process. If Redis fails, the request is
 * let through and the failure logged: rate limiting protects the service and must not take
 * it down (readiness reports Redis as down meanwhile).
 */
export class RedisRateLimitStore extends RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: RedisWithHit;

  constructor(redis: Redis) {
    super();
    redis.defineCommand('chorusRateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.redis = redis as RedisWithHit;
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    try {
      // The client adds the deployment's REDIS_KEY_PREFIX.
      const [count, resetMs] = await this.redis.chorusRateLimitHit(`ratelimit:${key}`, windowMs);
      return { count, resetMs };
    } catch (error) {
      this.logger.warn(`Rate-limit store unavailable, letting the request through: ${(error as Error).message}`);
      return { count: 0, resetMs: windowMs };
    }
  }
}
