import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { Counter } from 'prom-client';
import type { Response } from 'express';
import { CoreProblems, ProblemException } from '../errors/problem.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** A budget of requests: `limit` per window of `windowSeconds`, counted under `key`. */
export interface RateLimitBudget {
  /**
   * The budget's kind, for the refusals metric: the caller's rate-limit tier (`anonymous`,
   * `plan:free`...), or a feature's own budget (`auth:login`). Never a caller's identity.
   */
  readonly tier: string;
  readonly key: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the budget is whole again. */
  readonly resetSeconds: number;
}

/**
 * Spends budgets in throttler's storage (memory, or Redis when REDIS_URL is set): the global
 * guard spends the caller's tier budget on every request, and features spend their own (e.g.
 * sign-in attempts per email) where a route needs a stricter one.
 */
@Injectable()
export class RateLimiter {
  private readonly refusals: Counter<'tier'>;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    metrics: MetricsService,
  ) {
    this.refusals = metrics.counter({
      name: 'chorus_rate_limit_refusals_total',
      help: 'Requests refused with 429 rate_limited, by rate-limit tier (or feature budget such as auth:login).',
      labelNames: ['tier'],
    });
  }

  /**
   * Counts one request. When the budget is spent, throws a 429 `rate_limited` problem (the error
   * filter turns its `retryAfterSeconds` into Retry-After); with `response`, the IETF RateLimit
   * headers are set either way.
   */
  async consume(budget: RateLimitBudget, response?: Response): Promise<RateLimitState> {
    // No block beyond the window: a spent budget is whole again when its window ends.
    const record = await this.storage.increment(budget.key, budget.windowSeconds * 1000, budget.limit, 0, budget.key);
    const state: RateLimitState = {
      limit: budget.limit,
      remaining: Math.max(0, budget.limit - record.totalHits),
      resetSeconds: record.isBlocked ? record.timeToBlockExpire : record.timeToExpire,
    };
    response?.setHeader('RateLimit-Policy', `${budget.limit};w=${budget.windowSeconds}`);
    response?.setHeader('RateLimit-Limit', state.limit);
    response?.setHeader('RateLimit-Remaining', state.remaining);
    response?.setHeader('RateLimit-Reset', state.resetSeconds);
    if (record.isBlocked) {
      this.refusals.inc({ tier: budget.tier });
      throw new ProblemException(
        CoreProblems.rateLimited,
        `Rate limit of ${budget.limit} requests per ${budget.windowSeconds} s reached; retry in ${state.resetSeconds} s.`,
        { extensions: { retryAfterSeconds: state.resetSeconds } },
      );
    }
    return state;
  }
}
