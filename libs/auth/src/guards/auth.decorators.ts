import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { UserRole } from '../entities/index.js';
import type { Principal, RequestWithPrincipal } from '../principal.js';

export const REQUIRED_ROLES = 'chorus:roles';

/** Only callers with one of these roles may use the route; others get 403. */
export const Roles = (...roles: UserRole[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);

/** The authenticated caller of this request. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('@CurrentUser() used on a route that is not authenticated');
  return principal;
});
