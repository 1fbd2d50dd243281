export { CONVERSATION_ENTITIES, MESSAGE_ROLES, MESSAGE_STATUSES, type MessageRole, type MessageStatus } from './conversation.entity.js';
export { ContextBuilder } from './context-builder.js';
export { ConversationProblems } from './conversations.errors.js';
export { ConversationsModule } from './conversations.module.js';
