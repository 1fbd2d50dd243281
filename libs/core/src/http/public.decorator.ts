import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'chorus:public';

/**
 * The route needs no authentication. Declared in core so that platform routes (health) can be
 * marked too; the auth module's global guard honours it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
