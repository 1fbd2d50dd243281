import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, MaxLength, ValidateBy, isUUID } from 'class-validator';
import type { AttachmentView } from '#chorus/media';
import { MESSAGE_ROLES, MESSAGE_STATUSES, type MessageRole, type MessageStatus } from '../conversation.entity.js';
import type { ConversationView, MessageView } from '../message.view.js';

export class CreateConversationDto {
  @ApiProperty({ format: 'uuid', description: 'The persona to talk to.' })
  @IsUUID()
  influencerId!: string;
}

export class UpdateConversationDto {
  @ApiProperty({ example: 'Saturn tonight', maxLength: 120 })
  @IsString()
  @Length(1, 120)
  title!: string;
}

export const MESSAGE_MAX_LENGTH = 8000;
/**
 * A list of media ids, judged as one: any other value gets one message. How many, and whether one
 * is listed twice, are the deployment's to say when they are attached (422 too_many_attachments,
 * 400), so that a count over the limit is refused one way whatever its size.
 */
function IsMediaIdList(): PropertyDecorator {
  return ValidateBy({
    name: 'isMediaIdList',
    validator: {
      validate: (value: unknown) => Array.isArray(value) && value.every((id) => typeof id === 'string' && isUUID(id)),
      defaultMessage: () => '$property must be an array of media ids (UUIDs)',
    },
  });
}

export class SendMessageDto {
  @ApiPropertyOptional({
    example: 'What can I see tonight?',
    minLength: 0,
    maxLength: MESSAGE_MAX_LENGTH,
    default: '',
    description: 'At least one character, unless the message carries attachments (then it may be empty: a photo alone); empty or omitted with `audio`.',
  })
  @IsOptional()
  @IsString()
  // The 1-character minimum depends on `attachments` and `audio`: RepliesService.send checks it, for every caller.
  @Length(0, MESSAGE_MAX_LENGTH)
  content?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'A voice message: the id of your audio upload (POST /media: WAV, WebM, Ogg, MP3 or M4A, up to VOICE_MAX_SECONDS). It is transcribed ' +
      '(its seconds count against `voice.sttSecondsPerMonth`), the transcript becomes the message, which carries the audio. A failed ' +
      'transcription (502 `stt_failed`, 503 `stt_unavailable`, 422 `no_speech_recognised`) stores nothing: send the same id again.',
  })
  @IsOptional()
  @IsUUID()
  audio?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      "Speak the reply in the persona's voice while it streams: a `reply.audio` event per sentence, as soon as it is complete " +
      '(its characters count against `voice.ttsCharactersPerMonth`).',
  })
  @IsOptional()
  @IsBoolean()
  speak?: boolean;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    uniqueItems: true,
    description:
      'Images to send with the message: ids of your own uploads (POST /media), `ready` and not attached to another message, ' +
      "within the deployment's count and size limits. The persona's model must read images (422 `model_not_multimodal` otherwise). " +
      'An upload belongs to the message it is sent with: deleting the message (or its conversation) deletes it.',
  })
  @IsOptional()
  @IsMediaIdList()
  attachments?: string[];

  @ApiProperty({
    example: '5f0c1a9e-8d1b-4a1e-9f3e-2f6f1b2c3d4e',
    description: 'Chosen by the client, unique per conversation: retrying a send with the same id never generates twice.',
  })
  @IsString()
  @Length(1, 64)
  clientMessageId!: string;
}

export class HistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 30;

  @ApiPropertyOptional({ description: 'Messages older than this cursor (`olderCursor` of a page). Omit both for the newest page.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  before?: string;

  @ApiPropertyOptional({ description: 'Messages newer than this cursor (`newerCursor` of a page).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  after?: string;
}

export class UsageDto {
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiPropertyOptional() cachedInputTokens?: number;
  @ApiPropertyOptional() reasoningTokens?: number;
}

export class AttachmentUrlsDto {
  @ApiPropertyOptional({ description: 'An image: the image (signed, short-lived).' }) image?: string;
  @ApiPropertyOptional({ description: 'An image: its thumbnail, WebP, at most 256 pixels on its longer side (signed, short-lived).' }) thumbnail?: string;
  @ApiPropertyOptional({ description: 'An audio (a voice message): the audio, with its own type (signed, short-lived).' }) audio?: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'When the URLs stop working: read the message again for new ones.' }) expiresAt!: Date;
}

export class AttachmentDto {
  @ApiProperty({ format: 'uuid' }) mediaId!: string;
  @ApiProperty({
    enum: ['user', 'persona'],
    enumName: 'AttachmentSource',
    description: "`user`: the user's upload on their message; `persona`: a photo of the persona's gallery it sent in its reply.",
  })
  source!: 'user' | 'persona';
  @ApiProperty({ example: 'image/jpeg' }) contentType!: string;
  @ApiProperty() bytes!: number;
  @ApiProperty({ type: Number, nullable: true, description: "An image's; null for audio." }) width!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: "An image's; null for audio." }) height!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: "An audio's length in milliseconds; null for an image." }) durationMs!: number | null;
  @ApiProperty({ type: String, nullable: true }) caption!: string | null;
  @ApiProperty({ type: AttachmentUrlsDto }) urls!: AttachmentUrlsDto;
}

export function toAttachmentDto(attachment: AttachmentView): AttachmentDto {
  const { mediaId, source, contentType, bytes, width, height, durationMs, caption, urls } = attachment;
  return { mediaId, source, contentType, bytes, width, height, durationMs, caption, urls: { ...urls } };
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ enum: MESSAGE_ROLES, enumName: 'MessageRole' }) role!: MessageRole;
  @ApiProperty() content!: string;
  @ApiProperty({ enum: MESSAGE_STATUSES, enumName: 'MessageStatus' }) status!: MessageStatus;
  @ApiProperty({ type: String, nullable: true }) clientMessageId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'For replies: the user message answered.' }) replyToId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'openai' }) provider!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'gpt-4o-mini' }) model!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The persona system prompt version used.' }) promptVersion!: number | null;
  @ApiProperty({ type: UsageDto, nullable: true }) usage!: UsageDto | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Milliseconds from the request to the first token.' }) firstTokenMs!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'stop' }) finishReason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why a failed reply failed.' }) errorCode!: string | null;
  @ApiProperty({ type: [AttachmentDto], description: "Images it carries, in order: the user's uploads, or the photos a reply sent." })
  attachments!: AttachmentDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt!: Date | null;
}

export function toMessageDto(message: MessageView): MessageDto {
  return {
    id: message.id,
    conversationId: message.conversationId,
    role: message.role,
    content: message.content,
    status: message.status,
    clientMessageId: message.clientMessageId,
    replyToId: message.replyToId,
    provider: message.provider,
    model: message.model,
    promptVersion: message.promptVersion,
    usage:
      message.inputTokens === null || message.outputTokens === null
        ? null
        : {
            inputTokens: message.inputTokens,
            outputTokens: message.outputTokens,
            ...(message.cachedInputTokens !== null ? { cachedInputTokens: message.cachedInputTokens } : {}),
            ...(message.reasoningTokens !== null ? { reasoningTokens: message.reasoningTokens } : {}),
          },
    firstTokenMs: message.firstTokenMs,
    finishReason: message.finishReason,
    errorCode: message.errorCode,
    attachments: message.attachments.map(toAttachmentDto),
    createdAt: message.createdAt,
    completedAt: message.completedAt,
  };
}

export class ConversationPersonaDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'nova' }) handle!: string;
  @ApiProperty({ example: 'Nova' }) displayName!: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl!: string | null;
}

export class MessagePreviewDto {
  @ApiProperty({ enum: MESSAGE_ROLES, enumName: 'MessageRole' }) role!: MessageRole;
  @ApiProperty({ description: 'The first 200 characters.' }) content!: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) title!: string | null;
  @ApiProperty({ type: ConversationPersonaDto }) influencer!: ConversationPersonaDto;
  @ApiProperty({ type: MessagePreviewDto, nullable: true }) lastMessage!: MessagePreviewDto | null;
  @ApiProperty({ description: 'Replies since the conversation was last marked read.' }) unreadCount!: number;
  @ApiProperty({ type: String, format: 'date-time' }) lastMessageAt!: Date;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export function toConversationDto(conversation: ConversationView): ConversationDto {
  return { ...conversation };
}

export class ConversationWithGreetingDto extends ConversationDto {
  @ApiProperty({ type: MessageDto, description: "The persona's greeting, the first message." }) greeting!: MessageDto;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto], description: 'Oldest first.' }) items!: MessageDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `before` for older messages.' }) olderCursor!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `after` for newer messages.' }) newerCursor!: string | null;
}

export class SentMessageDto {
  @ApiProperty({ type: MessageDto }) message!: MessageDto;
  @ApiProperty({ type: MessageDto, description: 'The reply, finished (completed, cancelled or failed).' }) reply!: MessageDto;
}
