export { RealtimeModule } from './realtime.module.js';
export { INBOX_BOUNDS, Inbox } from './inbox.service.js';
export { INBOX_STREAM_OPTIONS, type InboxStreamOptions } from './inbox-streams.service.js';
export {
  INBOX_REPLY_STATUSES,
  STREAM_END_EVENTS,
  type ConversationUnreadEvent,
  type InboxEvent,
  type InboxEventData,
  type InboxEventType,
  type MediaStatusEvent,
  type MessageCreatedEvent,
  type InboxReplyStatus,
  type ReplyStatusEvent,
} from './inbox-events.js';
