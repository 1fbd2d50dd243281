import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Authenticator } from '#chorus/auth';
import { InjectConfig, RateLimitTierResolver, type AppConfig, type RateLimitTier } from '#chorus/core';

/** Admins are not limited by a plan; this only keeps a runaway script in check. */
const ADMIN_REQUESTS_PER_MINUTE = 100_000;

/**
 * Rate-limit tiers by plan: a signed-in caller draws from their own budget (by user id, so it
 * follows them across devices) sized by their plan's requestsPerMinute; anyone else from their
 * IP's budget (RATE_LIMIT_DEFAULT). With Redis the budgets are shared by every process.
 */
@Injectable()
export class PlanTierResolver extends RateLimitTierResolver {
  constructor(
    private readonly authenticator: Authenticator,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    super();
  }

  async resolve(request: Request): Promise<RateLimitTier> {
    // Invalid credentials fall back to the anonymous tier here; the auth guard answers the 401.
    const principal = request.headers.authorization ? await this.authenticator.authenticate(request).catch(() => undefined) : undefined;
    if (!principal) {
      return { name: 'anonymous', tracker: `ip:${request.ip ?? 'unknown'}`, limit: this.config.rateLimit.defaultLimit, windowSeconds: this.config.rateLimit.windowSeconds };
    }
    if (principal.role === 'admin') return { name: 'admin', tracker: `user:${principal.userId}`, limit: ADMIN_REQUESTS_PER_MINUTE, windowSeconds: 60 };
    const plan = this.config.usage.plans.find((candidate) => candidate.name === principal.plan) ?? this.config.usage.plans[0]!;
    return { name: `plan:${plan.name}`, tracker: `user:${principal.userId}`, limit: plan.limits.requestsPerMinute, windowSeconds: 60 };
  }
}
