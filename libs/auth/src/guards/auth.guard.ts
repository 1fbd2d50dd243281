import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC, ProblemException, REQUIRED_ROLES } from '#chorus/core';
import { AccessTokens } from '../access-tokens.js';
import { ApiKeysService } from '../api-keys.service.js';
import { AuthProblems } from '../auth.errors.js';
import type { UserRole } from '../entities/index.js';
import type { Principal, RequestWithPrincipal } from '../principal.js';
import { RevocationList } from '../revocation-list.js';
import { API_KEY_PREFIX } from '../secrets.js';

/**
 * The global guard: every route needs `Authorization: Bearer <access token or API key>` unless
 * marked `@Public()` (where credentials are optional but checked when sent), and `@Roles(...)`
 * routes also need the role. Access tokens are checked
 * without the database (signature, expiry, revocation list); API keys by one indexed lookup
 * that also refuses banned owners and expired keys.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeysService,
    private readonly revocations: RevocationList,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // Open to anyone; a caller who does send credentials is still identified (an admin sees more).
      if (request.headers.authorization) request.principal = await this.authenticate(request.headers.authorization);
      return true;
    }
    const principal = await this.authenticate(request.headers.authorization);
    request.principal = principal;

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ProblemException(AuthProblems.forbidden, 'Your role does not allow this.');
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
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
    if (await this.revocations.isRevoked(claims)) {
      throw new ProblemException(AuthProblems.tokenRevoked, 'This session has ended: sign in again.');
    }
    return { userId: claims.sub, role: claims.role, plan: claims.plan, sessionId: claims.sid };
  }
}
