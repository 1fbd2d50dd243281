import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Authenticator } from '#chorus/auth';
import {
  InjectConfig,
  RateLimitTierResolver,
  anonymousCaller,
  anonymousTier,
  type AppConfig,
  type RateLimitCaller,
  type RateLimitTier,
} from '#chorus/core';

/** Admins are not limited by a plan; this only keeps a runaway script in check. */
const ADMIN_TIER: RateLimitTier = { name: 'admin', limit: 100_000, windowSeconds: 60 };

const planTierName = (plan: string): string => `plan:${plan}`;

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

  tiers(): readonly RateLimitTier[] {
    const plans = this.config.usage.plans.map((plan) => ({ name: planTierName(plan.name), limit: plan.limits.requestsPerMinute, windowSeconds: 60 }));
    return [anonymousTier(this.config), ...plans, ADMIN_TIER];
  }

  async resolve(request: Request): Promise<RateLimitCaller> {
    // Invalid credentials fall back to the anonymous tier here; the auth guard answers the 401.
    const principal = request.headers.authorization ? await this.authenticator.authenticate(request).catch(() => undefined) : undefined;
    if (!principal) return anonymousCaller(request);
    const tracker = `user:${principal.userId}`;
    if (principal.role === 'admin') return { tier: ADMIN_TIER.name, tracker };
    const plan = this.config.usage.plans.find((candidate) => candidate.name === principal.plan) ?? this.config.usage.plans[0]!;
    return { tier: planTierName(plan.name), tracker };
  }
}
