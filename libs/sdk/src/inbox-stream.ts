import { ChorusApiError } from './errors.js';
import { ResumableEventStream, type EventStreamOptions, type Reception, type ServerSentEvent } from './event-stream.js';
import type {
  InboxConversationUnreadEventDto,
  InboxMessageCreatedEventDto,
  InboxReplyStatusEventDto,
  InboxStreamEndEventDto,
} from './generated/index.js';

/**
 * One event of the signed-in user's inbox (GET /me/events), on every device: `message.created`
 * (a message stored in one of their conversations: sent from another device, a reply, a
 * greeting), `reply.status` (a reply started, completed, failed or was cancelled: follow it with
 * `resumeReply`), `conversation.unread` (a conversation's unread count changed). `id` is opaque
 * (`"12"`, or `"1733000000000-3"` on a deployment with Redis): keep the last one to resume from.
 */
export type InboxEvent =
  | { readonly id: string; readonly type: 'message.created'; readonly data: InboxMessageCreatedEventDto }
  | { readonly id: string; readonly type: 'reply.status'; readonly data: InboxReplyStatusEventDto }
  | { readonly id: string; readonly type: 'conversation.unread'; readonly data: InboxConversationUnreadEventDto };

export type InboxEventType = InboxEvent['type'];

const EVENT_TYPES: ReadonlySet<string> = new Set<InboxEventType>(['message.created', 'reply.status', 'conversation.unread']);

/** The events a server ends an inbox stream with, without an id, when its credential no longer stands. */
const END_EVENTS = { revoked: 'session.revoked', expired: 'token.expired' } as const;

/** Opens GET /me/events after `lastEventId` (the events kept since are replayed first), or for new events only. */
export type InboxConnector = (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;

/**
 * Called when the server ended the stream because the access token it was opened with expired:
 * refreshes it and resolves to true (the stream then reconnects), or resolves to false when the
 * credentials cannot be refreshed (the stream then ends with a `token_expired` ChorusApiError).
 */
export type TokenRefresher = () => Promise<boolean>;

/**
 * The signed-in user's inbox as an async iterator, for as long as it is listened to. A dropped
 * connection is resumed from the last event received (`Last-Event-ID`), and no event is
 * delivered twice; an access token that expires is refreshed and the stream goes on. The stream
 * ends by throwing a ChorusApiError (`token_revoked`, or `invalid_api_key` for a deleted key)
 * when the session ends (logout, password change, ban): sign in again. Iterate it once;
 * `close()`, the signal or leaving the loop stops listening.
 */
export class InboxStream extends ResumableEventStream<InboxEvent> {
  private last: string | undefined;

  constructor(
    private readonly connect: InboxConnector,
    private readonly refresh: TokenRefresher,
    options: EventStreamOptions & { readonly lastEventId?: string } = {},
  ) {
    super(options);
    this.last = options.lastEventId;
  }

  /** The id of the last event received (or the one the stream started after): where to resume from later. */
  get lastEventId(): string | undefined {
    return this.last;
  }

  protected open(signal: AbortSignal): Promise<Response> {
    return this.connect(this.last, signal);
  }

  protected async receive(message: ServerSentEvent): Promise<Reception<InboxEvent>> {
    const type = message.event ?? 'message';
    if (type === END_EVENTS.expired) {
      if (await this.refresh()) return 'reconnect';
      throw streamEnd(JSON.parse(message.data) as InboxStreamEndEventDto, 'Access token expired');
    }
    if (type === END_EVENTS.revoked) throw streamEnd(JSON.parse(message.data) as InboxStreamEndEventDto, 'Session ended');
    // The same event twice (a replay that overlaps) is delivered once. Ids are compared as equal or
    // not only: a server that lost its log (a restart without Redis) numbers its events anew.
    if (!message.id || message.id === this.last) return 'skip';
    this.last = message.id;
    // Kinds this version does not know are skipped (past them, on reconnection), so a newer server does not break it.
    if (!EVENT_TYPES.has(type)) return 'skip';
    return { event: { id: message.id, type, data: JSON.parse(message.data) } as InboxEvent };
  }

  protected endedEarly(): Error {
    return new Error('The inbox stream was closed by the server.');
  }
}

/** The error an inbox stream ends with: the problem the next request with the same credential would get. */
function streamEnd(data: InboxStreamEndEventDto, title: string): ChorusApiError {
  return new ChorusApiError({ type: `urn:chorus:problem:${data.code}`, title, status: 401, code: data.code, detail: data.detail, requestId: '' });
}
