export { AVATAR_ENTITIES, AVATAR_SESSION_STATUSES, AVATAR_STOP_REASONS, AvatarSessionEntity, type AvatarSessionStatus, type AvatarStopReason } from './avatar-session.entity.js';
export { AvatarProblems } from './avatar.errors.js';
export { AvatarModule } from './avatar.module.js';
export { AvatarService, type AvatarSessionView, type StartedSessionView } from './avatar.service.js';
export { AvatarProviderError, type AvatarJoinInfo, type AvatarProvider } from './providers/avatar-provider.js';
