import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { CoreProblems, ProblemException } from '../errors/problem.js';
import { RateLimitStore } from './rate-limit.store.js';

/** A budget of requests: `limit` per window of `windowSeconds`, counted under `key`. */
export interface RateLimitBudget {
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
 * Spends budgets: the global guard spends the caller's tier budget on every request, and
 * features spend their own (e.g. login attempts per email) where a route needs a stricter one.
 */
@Injectable()
export class RateLimiter {
  constructor(private readonly store: RateLimitStore) {}

  /**
   * Counts one request. When the budget is spent, throws a 429 `rate_limited` problem (the error
   * filter turns its `retryAfterSeconds` into Retry-After); with `response`, the IETF RateLimit
   * headers are set either way.
   */
  async consume(budget: RateLimitBudget, response?: Response): Promise<RateLimitState> {
    const hit = await this.store.hit(budget.key, budget.windowSeconds * 1000);
    const state: RateLimitState = {
      limit: budget.limit,
      remaining: Math.max(0, budget.limit - hit.count),
      resetSeconds: Math.max(1, Math.ceil(hit.resetMs / 1000)),
    };
    response?.setHeader('RateLimit-Policy', `${budget.limit};w=${budget.windowSeconds}`);
    response?.setHeader('RateLimit-Limit', state.limit);
    response?.setHeader('RateLimit-Remaining', state.remaining);
    response?.setHeader('RateLimit-Reset', state.resetSeconds);
    if (hit.count > budget.limit) {
      throw new ProblemException(
        CoreProblems.rateLimited,
        `Rate limit of ${budget.limit} requests per ${budget.windowSeconds} s reached; retry in ${state.resetSeconds} s.`,
        { extensions: { retryAfterSeconds: state.resetSeconds } },
      );
    }
    return state;
  }
}
