export { CONVERSATION_ENTITIES, MESSAGE_ROLES, MESSAGE_STATUSES, type MessageRole, type MessageStatus } from './conversation.entity.js';
export { ChatTurns, replyProblem, type TurnOutcome, type TurnPlan } from './chat-turn.js';
export { ContextBuilder } from './context-builder.js';
export { ConversationProblems } from './conversations.errors.js';
export { ConversationsModule } from './conversations.module.js';
export { ConversationsService } from './conversations.service.js';
export { RepliesService, type ReplyHandle } from './replies.service.js';
export { ReplyMetrics, type ReplyOutcome } from './reply-metrics.js';
export { LiveReply, type ReplyEvent } from './reply-stream-hub.js';
