export { CONVERSATION_ENTITIES, MESSAGE_ROLES, MESSAGE_STATUSES, type MessageRole, type MessageStatus } from './conversation.entity.js';
export { ContextBuilder } from './context-builder.js';
export { ConversationProblems } from './conversations.errors.js';
export { ConversationsModule } from './conversations.module.js';
export { ConversationsService } from './conversations.service.js';
export { RepliesService, type ReplyHandle } from './replies.service.js';
export { ReplyMetrics, type ReplyOutcome } from './reply-metrics.js';
export type { LiveReply, ReplyEvent } from './reply-stream-hub.js';
