import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { AttachmentDto, MessageDto, UsageDto } from './conversation.dto.js';

/** How the reply streams, for the endpoints that stream it. */
export const SSE_DESCRIPTION =
  'Events (each with an increasing `id`): `message` (ReplyMessageEvent: the stored user message), `reply.started` ' +
  '(ReplyStartedEvent), `reply.delta` (ReplyDeltaEvent: the next piece of text), `reply.media` (ReplyMediaEvent: a photo the ' +
  "persona sent from its gallery, between pieces of text), with `speak: true` `reply.audio` (ReplyAudioEvent: a sentence spoken, in " +
  'order, as soon as it is complete) or once `reply.audio.failed` (ReplyAudioFailedEvent: the rest is not spoken), then `reply.completed` (ReplyCompletedEvent, ' +
  'also for a cancelled reply) or `error` (a problem document with `messageId` and `partialLength`). Comment lines keep idle ' +
  'connections open. Reconnect with `Last-Event-ID` to GET /conversations/{id}/messages/{messageId}/stream.';

export class ReplyMessageEventDto {
  @ApiProperty({ type: MessageDto }) message!: MessageDto;
  @ApiProperty({ format: 'uuid', description: 'The id of the reply being generated (for cancel and resume).' }) replyId!: string;
}

export class ReplyStartedEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ example: 'openai', description: 'The primary model of the persona; `servedBy` at the end says which one answered.' }) provider!: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model!: string;
  @ApiProperty() promptVersion!: number;
}

export class ReplyDeltaEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ example: 'Saturn ' }) text!: string;
}

export class ReplyMediaEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ type: AttachmentDto, description: 'The photo, kept with the reply (its `attachments`).' }) media!: AttachmentDto;
}

export class ReplyAudioEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ description: "The sentence's place in the reply's speech, from 0: play them in this order." }) index!: number;
  @ApiProperty({ example: 'Saturn is up after dark.', description: 'What is spoken (without markup).' }) text!: string;
  @ApiProperty({
    description:
      "Where to GET the sentence's audio (no credentials): a presigned URL of the bucket, or an API URL signed for a while (relative to the server). " +
      'A URL rather than the audio inline keeps the stream light and its replays cheap.',
  })
  url!: string;
  @ApiProperty({ example: 'audio/wav' }) contentType!: string;
  @ApiProperty() bytes!: number;
  @ApiProperty({ description: 'When the URL stops working: GET .../messages/{id}/audio speaks the whole reply at any time.' }) expiresAt!: Date;
}

export class ReplyAudioFailedEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiPropertyOptional({ description: 'The sentence that could not be spoken.' }) index?: number;
  @ApiProperty({ example: 'quota_exceeded', description: 'quota_exceeded, tts_unavailable, tts_failed, speech_timeout, ...' }) code!: string;
  @ApiProperty() detail!: string;
}

export class ModelRefEventDto {
  @ApiProperty({ example: 'openai' }) provider!: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model!: string;
}

export class ReplyCompletedEventDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ enum: ['completed', 'cancelled'], enumName: 'ReplyEndStatus' }) status!: 'completed' | 'cancelled';
  @ApiProperty({ description: 'The whole reply, to reconcile with the deltas received.' }) content!: string;
  @ApiProperty({ description: 'Length of the reply in characters.' }) length!: number;
  @ApiProperty({ type: UsageDto, nullable: true }) usage!: UsageDto | null;
  @ApiProperty({ example: 'stop' }) finishReason!: string;
  @ApiProperty({ type: ModelRefEventDto }) servedBy!: ModelRefEventDto;
  @ApiProperty({ type: Number, nullable: true }) firstTokenMs!: number | null;
  @ApiProperty({ type: [AttachmentDto], description: 'The photos the reply sent, to reconcile with the `reply.media` events received.' })
  attachments!: AttachmentDto[];
}

export class ReplyErrorEventDto {
  @ApiProperty({ example: 'urn:chorus:problem:providers_unavailable' }) type!: string;
  @ApiProperty({ example: 'Reply failed' }) title!: string;
  @ApiProperty({ example: 502 }) status!: number;
  @ApiProperty() detail!: string;
  @ApiProperty({ example: 'providers_unavailable', description: 'Why: providers_unavailable, provider_failed_mid_stream, reply_not_saved, ...' }) code!: string;
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ description: 'Characters streamed before the failure (kept in the stored reply).' }) partialLength!: number;
}

const EVENT_MODELS = [ReplyMessageEventDto, ReplyStartedEventDto, ReplyDeltaEventDto, ReplyMediaEventDto, ReplyAudioEventDto, ReplyAudioFailedEventDto, ReplyCompletedEventDto, ReplyErrorEventDto];

/** Documents a 200 that is the reply's event stream (each event's `data` one of the event schemas), or `json` without streaming. */
export function ApiReplyStreamResponse(json?: Type<unknown>): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(...EVENT_MODELS, ...(json ? [json] : [])),
    ApiResponse({
      status: 200,
      description: json ? 'The event stream with `Accept: text/event-stream`; otherwise the message and its finished reply.' : 'The event stream.',
      content: {
        ...(json ? { 'application/json': { schema: { $ref: getSchemaPath(json) } } } : {}),
        'text/event-stream': {
          // anyOf: the event's name (not its data, whose shapes overlap) tells which schema it is.
          schema: { description: 'Server-sent events; the `data` of each is the schema its event name says.', anyOf: EVENT_MODELS.map((model) => ({ $ref: getSchemaPath(model) })) },
        },
      },
    }),
  );
}
