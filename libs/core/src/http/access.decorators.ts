import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { OPTIONAL_AUTH_EXTENSION } from './openapi.js';

export const IS_PUBLIC = 'chorus:public';
export const REQUIRED_ROLES = 'chorus:roles';
export const OWN_CREDENTIALS = 'chorus:own-credentials';

/**
 * The route needs no authentication (credentials, when sent, are still checked). Declared in
 * core, with `@Roles`, so that every module can mark its routes; the auth module's global
 * guard enforces both.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * A public route that checks a credential of its own in `Authorization` (the metrics scrape
 * token): the global guard neither requires nor reads the header there.
 */
export const OwnCredentials = (): MethodDecorator & ClassDecorator => applyDecorators(Public(), SetMetadata(OWN_CREDENTIALS, true));

/** A public route that shows more to a caller who signs in (documented as optional authentication). */
export const PublicWithOptionalAuth = (): MethodDecorator => applyDecorators(Public(), ApiExtension(OPTIONAL_AUTH_EXTENSION, true));

/** Only callers with one of these roles (`user`, `admin`) may use the route; others get 403. */
export const Roles = (...roles: Array<'user' | 'admin'>): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);
