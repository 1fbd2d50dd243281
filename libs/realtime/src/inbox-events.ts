/**
 * What a user's clients are told as it happens, on GET /me/events: one inbox per user, fed by
 * the features (conversations now; media and speech when they land add their kinds to
 * `InboxEvent`). Each kind is `type` plus its payload, which is the event's `data` on the wire.
 */

/** A message was stored in one of the user's conversations: theirs (sent from another device), a reply, a greeting. */
export interface MessageCreatedEvent {
  readonly type: 'message.created';
  readonly conversationId: string;
  /**
   * The message as the API returns it (the conversations' MessageDto, as GET
   * /conversations/{id}/messages lists it). Typed loosely so that this lib does not depend on
   * the one that publishes it.
   */
  readonly message: object;
}

export const INBOX_REPLY_STATUSES = ['started', 'completed', 'failed', 'cancelled'] as const;
export type InboxReplyStatus = (typeof INBOX_REPLY_STATUSES)[number];

/** A reply in one of the user's conversations started or ended: another device can show it, or resume its stream. */
export interface ReplyStatusEvent {
  readonly type: 'reply.status';
  readonly conversationId: string;
  /** The reply (assistant message). */
  readonly messageId: string;
  readonly status: InboxReplyStatus;
  /** Why a failed reply failed (the message's `errorCode`). */
  readonly errorCode?: string;
}

/** A conversation's unread count changed (a reply arrived, or another device read it). */
export interface ConversationUnreadEvent {
  readonly type: 'conversation.unread';
  readonly conversationId: string;
  readonly unreadCount: number;
}

/** An upload finished processing: `ready` to show and send, or `rejected` (GET /media/{id} says why). */
export interface MediaStatusEvent {
  readonly type: 'media.status';
  readonly mediaId: string;
  readonly status: 'ready' | 'rejected';
}

/** Every kind of inbox event, told apart by `type`. */
export type InboxEvent = MessageCreatedEvent | ReplyStatusEvent | ConversationUnreadEvent | MediaStatusEvent;

export type InboxEventType = InboxEvent['type'];

/** The payload of an event of kind `T`: what clients receive as its `data`. */
export type InboxEventData<T extends InboxEventType = InboxEventType> = Omit<Extract<InboxEvent, { type: T }>, 'type'>;

/**
 * The last event of a stream that ends because its credential no longer stands; not kept in the
 * inbox and sent without an id, so the client's Last-Event-ID still names its last inbox event.
 */
export const STREAM_END_EVENTS = {
  /** The session was ended (logout, password change elsewhere, ban, account deletion) or the API key is gone: sign in again. */
  revoked: 'session.revoked',
  /** The access token expired: refresh it and reconnect with Last-Event-ID. */
  expired: 'token.expired',
} as const;
