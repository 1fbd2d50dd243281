import { Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { NextFunction, Request, Response } from 'express';
import { RateLimitTierResolver, type RateLimitCaller, type RateLimitTier } from './rate-limit-tier.js';
import { RateLimiter } from './rate-limiter.js';

const SKIP_RATE_LIMIT = 'chorus:skip-rate-limit';

/**
 * Exempts a controller or route from the global rate limit (health probes). Throttler's own
 * `@SkipThrottle()` needs every throttler's name, and the plan tiers' names come from configuration.
 */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_RATE_LIMIT, true);

/**
 * The global guard: throttler's guard with one named throttler per tier, of which a request
 * spends only its caller's (by user id when signed in, by client address otherwise). Limited
 * answers are 429 `rate_limited` problems with Retry-After, and every counted response carries
 * the IETF RateLimit headers (RateLimiter sets them) instead of throttler's X-RateLimit ones.
 *
 * Guards run only on matched routes, so the guard also mounts a middleware that counts the
 * requests no route matched: a flood of 404s ends in 429 like any other.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Each request's caller, resolved once before the throttlers run. */
  private readonly callers = new WeakMap<Request, RateLimitCaller>();
  private readonly tiersByName: ReadonlyMap<string, RateLimitTier>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly tiers: RateLimitTierResolver,
    private readonly limiter: RateLimiter,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super(options, storage, reflector);
    this.tiersByName = new Map(tiers.tiers().map((tier) => [tier.name, tier]));
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    // Init hooks run after the routes are mounted and before Nest mounts its not-found
    // handlers, so this comes after every route and before any 404 answer.
    this.adapterHost.httpAdapter?.use(this.unmatchedRoute);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request>();
    this.callers.set(request, await this.resolveCaller(request));
    return super.canActivate(context);
  }

  /** Runs once per tier's throttler; only the caller's own tier counts the request. */
  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const caller = this.callers.get(req as Request);
    if (!caller || caller.tier !== throttler.name) return true;
    const key = generateKey(context, await getTracker(req, context), caller.tier);
    await this.limiter.consume({ tier: caller.tier, key, limit, windowSeconds: ttl / 1000 }, res as Response);
    return true;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return this.callers.get(req as unknown as Request)!.tracker;
  }

  /** One budget per caller and tier across every route (throttler's default is one per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, tierName: string): string {
    return budgetKey(tierName, tracker);
  }

  /** Middleware for requests no route matched: they spend their caller's budget as routed ones do. */
  private readonly unmatchedRoute = (request: Request, response: Response, next: NextFunction): void => {
    this.spendUnmatched(request, response).then(() => next(), next);
  };

  private async spendUnmatched(request: Request, response: Response): Promise<void> {
    const caller = await this.resolveCaller(request);
    const tier = this.tiersByName.get(caller.tier)!;
    await this.limiter.consume({ tier: tier.name, key: budgetKey(tier.name, caller.tracker), limit: tier.limit, windowSeconds: tier.windowSeconds }, response);
  }

  private async resolveCaller(request: Request): Promise<RateLimitCaller> {
    const caller = await this.tiers.resolve(request);
    // A tier without a throttler would let its callers through unlimited.
    if (!this.tiersByName.has(caller.tier)) throw new Error(`Rate-limit tier "${caller.tier}" is not one of the resolver's tiers`);
    return caller;
  }
}

function budgetKey(tierName: string, tracker: string): string {
  return `${tierName}:${tracker}`;
}
