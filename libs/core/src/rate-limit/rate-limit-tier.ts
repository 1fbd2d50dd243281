import { Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { InjectConfig } from '../config/config.module.js';

/** A class of callers and the budget each of them gets: `limit` requests per `windowSeconds`. */
export interface RateLimitTier {
  /** The tier's name, e.g. `anonymous` or `plan:free`; it names the tier's throttler. */
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Whose budget a request spends: the caller's tier, and the caller within it. */
export interface RateLimitCaller {
  /** One of the resolver's tier names. */
  readonly tier: string;
  /** A client address (`ip:...`), or a user id (`user:...`) once callers are authenticated. */
  readonly tracker: string;
}

const ANONYMOUS_TIER = 'anonymous';

/** Callers nobody signed in: RATE_LIMIT_DEFAULT requests per RATE_LIMIT_WINDOW_SECONDS. */
export function anonymousTier(config: AppConfig): RateLimitTier {
  return { name: ANONYMOUS_TIER, limit: config.rateLimit.defaultLimit, windowSeconds: config.rateLimit.windowSeconds };
}

/**
 * An anonymous caller, tracked by client address (behind TRUST_PROXY_HOPS proxies, the one they
 * report). IPv6 clients are tracked by their /64, which one client usually holds whole.
 */
export function anonymousCaller(request: Request): RateLimitCaller {
  return { tier: ANONYMOUS_TIER, tracker: `ip:${request.ip ? normalizeIp(request.ip) : 'unknown'}` };
}

/**
 * The seam for per-plan rate limits: the tiers there are (each becomes a named throttler), and
 * which one a request belongs to. The platform's default knows only client addresses; a module
 * that knows users and plans hands its own to `RateLimitModule.forRoot({ tierResolver })`.
 */
export abstract class RateLimitTierResolver {
  abstract tiers(): readonly RateLimitTier[];
  abstract resolve(request: Request): RateLimitCaller | Promise<RateLimitCaller>;
}

@Injectable()
export class ClientIpTierResolver extends RateLimitTierResolver {
  constructor(@InjectConfig() private readonly config: AppConfig) {
    super();
  }

  tiers(): readonly RateLimitTier[] {
    return [anonymousTier(this.config)];
  }

  resolve(request: Request): RateLimitCaller {
    return anonymousCaller(request);
  }
}
