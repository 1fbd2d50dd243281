import { ApiKeyEntity } from './api-key.entity.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { SessionEntity } from './session.entity.js';
import { UserEntity } from './user.entity.js';

/** The auth module's tables, for the application's schema. */
export const AUTH_ENTITIES = [UserEntity, SessionEntity, RefreshTokenEntity, ApiKeyEntity];

export { ApiKeyEntity, RefreshTokenEntity, SessionEntity, UserEntity };
export { USER_ROLES, USER_STATUSES, type UserRole, type UserStatus } from './user.entity.js';
