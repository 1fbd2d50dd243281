import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { RateLimitTierResolver } from './rate-limit-tier.js';
import { RateLimiter } from './rate-limiter.js';

const SKIP_RATE_LIMIT = 'chorus:skip-rate-limit';

/** Exempts a controller or route from the global rate limit (health probes). */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_RATE_LIMIT, true);

/** The global guard: every request spends one unit of its caller's tier budget. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly tiers: RateLimitTierResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const http = context.switchToHttp();
    const tier = await this.tiers.resolve(http.getRequest<Request>());
    await this.limiter.consume(
      { key: `${tier.name}:${tier.tracker}`, limit: tier.limit, windowSeconds: tier.windowSeconds },
      http.getResponse<Response>(),
    );
    return true;
  }
}
