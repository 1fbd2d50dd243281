import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal, RequestWithPrincipal } from '../principal.js';

/** The caller of a public route, when they sent credentials. */
export const OptionalUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<RequestWithPrincipal>().principal,
);

/** The authenticated caller of this request. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('@CurrentUser() used on a route that is not authenticated');
  return principal;
});
