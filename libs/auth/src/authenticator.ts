import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ProblemException } from '#chorus/core';
import { AccessTokens } from './access-tokens.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthProblems } from './auth.errors.js';
import type { Principal } from './principal.js';
import { RevocationList } from './revocation-list.js';
import { API_KEY_PREFIX } from './secrets.js';

/**
 * Who a request's `Authorization: Bearer` credential belongs to. Worked out once per request
 * and remembered, so that the rate limiter (which needs the caller's plan) and the auth guard
 * share one check. Access tokens are checked without the database (the revocation list carries
 * what changed since they were issued); API keys by one lookup.
 */
@Injectable()
export class Authenticator {
  private readonly results = new WeakMap<Request, Promise<Principal>>();

  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeysService,
    private readonly revocations: RevocationList,
  ) {}

  /** The caller, or a 401 problem (missing, invalid, expired or revoked credential). */
  authenticate(request: Request): Promise<Principal> {
    let result = this.results.get(request);
    if (!result) {
      result = this.check(request.headers.authorization);
      // Remembered either way; a rejection nobody awaits yet must not count as unhandled.
      result.catch(() => undefined);
      this.results.set(request, result);
    }
    return result;
  }

  private async check(header: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) {
      throw new ProblemException(AuthProblems.authenticationRequired, 'Send `Authorization: Bearer <access token or API key>`.');
    }
    const credential = match[1];
    if (credential.startsWith(API_KEY_PREFIX)) {
      const principal = await this.apiKeys.authenticate(credential);
      if (!principal) throw new ProblemException(AuthProblems.invalidApiKey, 'The API key is unknown, expired or revoked.');
      return principal;
    }
    const claims = await this.accessTokens.verify(credential);
    const standing = await this.revocations.standing(claims);
    if (standing.revoked) {
      throw new ProblemException(AuthProblems.tokenRevoked, 'This session has ended: sign in again.');
    }
    // The role and plan in force now, which may differ from those the token was issued with.
    return { userId: claims.sub, role: standing.access.role, plan: standing.access.plan, sessionId: claims.sid };
  }
}
