import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { INBOX_REPLY_STATUSES, STREAM_END_EVENTS, type InboxReplyStatus } from '../inbox-events.js';

/** How the inbox streams, for its endpoint's documentation. */
export const INBOX_SSE_DESCRIPTION =
  'Server-sent events, each with an `id` (a string: `12`, or `1733000000000-3` on a deployment with Redis; compare them as ' +
  'opaque, they only increase), its kind as `event` and its `data` as JSON: `message.created` (InboxMessageCreatedEvent: a ' +
  'message was stored in one of your conversations), `reply.status` (InboxReplyStatusEvent: a reply started, completed, ' +
  'failed or was cancelled; follow it with GET /conversations/{id}/messages/{messageId}/stream), `conversation.unread` ' +
  '(InboxConversationUnreadEvent: its unread count changed), `media.status` (InboxMediaStatusEvent: an upload is ready, or ' +
  'was rejected). Clients ignore kinds they do not know: more will come. ' +
  `The stream ends with \`${STREAM_END_EVENTS.revoked}\` (InboxStreamEndEvent, no id) when the session behind the token ends ` +
  `(logout, password change, ban, account deletion): sign in again; with \`${STREAM_END_EVENTS.expired}\` when the access token ` +
  'expires: refresh it and reconnect. Comment lines every 15 s keep idle connections open. Without `Last-Event-ID` only new ' +
  'events are sent; with it (the header, which EventSource sends by itself when it reconnects, or `lastEventId` for clients ' +
  'that cannot set headers), the events kept since are replayed first: the last 100, for an hour. What the inbox tells is in ' +
  'the API as well: after a longer gap, reload what is shown.';

export class InboxEventsQueryDto {
  @ApiPropertyOptional({
    description: 'The id of the last event received, for clients that cannot send the `Last-Event-ID` header (which wins). An id that is not one is ignored: the stream starts live.',
    example: '1733000000000-3',
  })
  @IsOptional()
  @IsString()
  lastEventId?: string;
}

export class InboxMessageCreatedEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  // By name: the conversations lib publishes this event and depends on this one, not the other way round.
  @ApiProperty({ allOf: [{ $ref: getSchemaPath('MessageDto') }], description: 'The message, as the conversation history lists it.' }) message!: object;
}

export class InboxReplyStatusEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid', description: 'The reply (assistant message).' }) messageId!: string;
  @ApiProperty({ enum: INBOX_REPLY_STATUSES, enumName: 'InboxReplyStatus' }) status!: InboxReplyStatus;
  @ApiPropertyOptional({ description: 'Why a failed reply failed, as the message\'s `errorCode`.', example: 'providers_unavailable' }) errorCode?: string;
}

export class InboxConversationUnreadEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ minimum: 0 }) unreadCount!: number;
}

export class InboxMediaStatusEventDto {
  @ApiProperty({ format: 'uuid' }) mediaId!: string;
  @ApiProperty({ enum: ['ready', 'rejected'], description: 'GET /media/{id} gives its URLs, or why it was rejected.' }) status!: 'ready' | 'rejected';
}

export class InboxStreamEndEventDto {
  @ApiProperty({ example: 'token_revoked', description: 'As the 401 the next request with this credential would get: token_revoked, token_expired, invalid_api_key.' }) code!: string;
  @ApiProperty() detail!: string;
}

const EVENT_MODELS = [InboxMessageCreatedEventDto, InboxReplyStatusEventDto, InboxConversationUnreadEventDto, InboxMediaStatusEventDto, InboxStreamEndEventDto];

/** Documents a 200 that is the inbox's event stream, each event's `data` one of the event schemas. */
export function ApiInboxStreamResponse(): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(...EVENT_MODELS),
    ApiResponse({
      status: 200,
      description: 'The event stream.',
      content: {
        'text/event-stream': {
          schema: { description: 'Server-sent events; the `data` of each is one of these.', oneOf: EVENT_MODELS.map((model) => ({ $ref: getSchemaPath(model) })) },
        },
      },
    }),
  );
}
