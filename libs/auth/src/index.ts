export { AuthModule } from './auth.module.js';
export { AuthProblems } from './auth.errors.js';
export { Authenticator } from './authenticator.js';
export { AUTH_ENTITIES, USER_ROLES, USER_STATUSES, type UserRole, type UserStatus } from './entities/index.js';
export { CurrentUser, OptionalUser } from './guards/auth.decorators.js';
export type { Principal } from './principal.js';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-hasher.js';
export { REVOCATIONS_CHANNEL, RevocationList } from './revocation-list.js';
export { UsersService, type UserView } from './users.service.js';
