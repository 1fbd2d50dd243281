import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ProblemException } from '#chorus/core';
import { AccessTokens } from '../access-tokens.js';
import { AuthProblems } from '../auth.errors.js';
import type { Principal } from '../principal.js';
import { RevocationList } from '../revocation-list.js';
import { BearerStrategy } from './bearer.strategy.js';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/**
 * An access token from sign-in or refresh, checked without the database: signature, algorithm,
 * issuer and complete claims, then the revocation list, which also carries the role and plan in
 * force now when they changed after the token was issued.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(BearerStrategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly revocations: RevocationList,
  ) {
    super();
  }

  async validate(token: string): Promise<Principal> {
    const claims = await this.accessTokens.verify(token);
    const standing = await this.revocations.standing(claims);
    if (standing.revoked) {
      throw new ProblemException(AuthProblems.tokenRevoked, 'This session has ended: sign in again.');
    }
    return { userId: claims.sub, role: standing.access.role, plan: standing.access.plan, sessionId: claims.sid };
  }
}
