import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC, OWN_CREDENTIALS, ProblemException, REQUIRED_ROLES } from '#chorus/core';
import { AuthProblems } from '../auth.errors.js';
import { Authenticator } from '../authenticator.js';
import type { UserRole } from '../entities/index.js';
import type { RequestWithPrincipal } from '../principal.js';

/**
 * The global guard: every route needs `Authorization: Bearer <access token or API key>` unless
 * marked `@Public()` (where credentials are optional but checked when sent), and `@Roles(...)`
 * routes also need the role. The credential is checked by the Passport strategies, through the
 * Authenticator, which remembers the outcome for the rest of the request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // Open to anyone; a caller who does send credentials is still identified (an admin sees more),
      // except where the route checks a credential of its own.
      const ownCredentials = this.reflector.getAllAndOverride<boolean>(OWN_CREDENTIALS, targets);
      if (request.headers.authorization && !ownCredentials) request.principal = await this.authenticator.authenticate(request);
      return true;
    }
    const principal = await this.authenticator.authenticate(request);
    request.principal = principal;

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ProblemException(AuthProblems.forbidden, 'Your role does not allow this.');
    }
    return true;
  }
}
