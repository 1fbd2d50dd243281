import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import passport from 'passport';
import { ProblemException } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import type { Principal } from './principal.js';
import { ACCESS_TOKEN_STRATEGY, AccessTokenStrategy } from './strategies/access-token.strategy.js';
import { API_KEY_STRATEGY, ApiKeyStrategy } from './strategies/api-key.strategy.js';

/**
 * The bearer strategies, in the order they are tried: an API key is told apart by its prefix,
 * and whatever else is sent is taken for an access token.
 */
const BEARER_STRATEGIES = [API_KEY_STRATEGY, ACCESS_TOKEN_STRATEGY];

/**
 * Who a request's `Authorization: Bearer` credential belongs to, decided by the Passport
 * strategies, once per request and remembered, so that the rate limiter (which needs the
 * caller's plan) and the auth guard share one check.
 */
@Injectable()
export class Authenticator {
  private readonly results = new WeakMap<Request, Promise<Principal>>();
  /**
   * A Passport of this application's own. `PassportStrategy` also registers every strategy with
   * Passport's process-wide instance (which `AuthGuard(name)` on a route, e.g. an OIDC login, uses),
   * where the application created last wins; two applications in one process (tests do this) must
   * each check credentials with their own keys, database and revocation list.
   */
  private readonly passport = new passport.Passport();

  constructor(apiKeys: ApiKeyStrategy, accessTokens: AccessTokenStrategy) {
    this.passport.use(API_KEY_STRATEGY, apiKeys).use(ACCESS_TOKEN_STRATEGY, accessTokens);
  }

  /** The caller, or a 401 problem (missing, invalid, expired or revoked credential). */
  authenticate(request: Request): Promise<Principal> {
    let result = this.results.get(request);
    if (!result) {
      result = this.runStrategies(request);
      // Remembered either way; a rejection nobody awaits yet must not count as unhandled.
      result.catch(() => undefined);
      this.results.set(request, result);
    }
    return result;
  }

  private runStrategies(request: Request): Promise<Principal> {
    return new Promise((resolve, reject) => {
      // With a callback, Passport hands the outcome over instead of answering or touching a session.
      const decided = (error: unknown, principal?: Principal | false) => {
        if (error) reject(error);
        else if (principal) resolve(principal);
        else reject(new ProblemException(AuthProblems.authenticationRequired, 'Send `Authorization: Bearer <access token or API key>`.'));
      };
      const middleware = this.passport.authenticate(BEARER_STRATEGIES, { session: false }, decided);
      // Reached only if a strategy neither decides nor fails, which none of ours does.
      middleware(request, request.res, (error?: unknown) => reject(error ?? new Error('No bearer strategy decided')));
    });
  }
}
