import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, MaxLength } from 'class-validator';
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

export class SendMessageDto {
  @ApiProperty({ example: 'What can I see tonight?', maxLength: MESSAGE_MAX_LENGTH })
  @IsString()
  @Length(1, MESSAGE_MAX_LENGTH)
  content!: string;

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
