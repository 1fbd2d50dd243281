import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { InjectConfig } from '../config/config.module.js';

/** How a caller is rate limited: whose budget a request draws from, and how large it is. */
export interface RateLimitTier {
  /** The tier's name, e.g. `anonymous` or a plan name. */
  readonly name: string;
  /** Whose budget it is: a client IP, or a user id once callers are authenticated. */
  readonly tracker: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * The seam for per-plan rate limits: the global guard asks this which tier a request belongs
 * to. The platform's default knows only client IPs; a module that knows users and plans hands
 * its own implementation to `RateLimitModule.forRoot({ tierResolver })`.
 */
export abstract class RateLimitTierResolver {
  abstract resolve(request: Request): RateLimitTier | Promise<RateLimitTier>;
}

@Injectable()
export class ClientIpTierResolver extends RateLimitTierResolver {
  constructor(@InjectConfig() private readonly config: AppConfig) {
    super();
  }

  resolve(request: Request): RateLimitTier {
    const { defaultLimit, windowSeconds } = this.config.rateLimit;
    return { name: 'anonymous', tracker: `ip:${request.ip ?? 'unknown'}`, limit: defaultLimit, windowSeconds };
  }
}
