import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { CursorPageQueryDto } from '#chorus/core';

export class ChatLimitsDto {
  @ApiProperty({ type: Number, nullable: true, example: 50 }) messagesPerDay!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 300000 }) tokensPerMonth!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 1000000, description: 'Micro-dollars (1 USD = 1,000,000).' }) costMicrosPerMonth!: number | null;
}

export class MediaLimitsDto {
  @ApiProperty({ type: Number, nullable: true }) uploadsPerDay!: number | null;
  @ApiProperty({ type: Number, nullable: true }) bytesPerMonth!: number | null;
}

export class VoiceLimitsDto {
  @ApiProperty({ type: Number, nullable: true }) sttSecondsPerMonth!: number | null;
  @ApiProperty({ type: Number, nullable: true }) ttsCharactersPerMonth!: number | null;
}

export class AvatarLimitsDto {
  @ApiProperty({ type: Number, nullable: true }) secondsPerMonth!: number | null;
  @ApiProperty({ type: Number, nullable: true }) concurrentSessions!: number | null;
}

export class PlanLimitsDto {
  @ApiProperty({ type: ChatLimitsDto }) chat!: ChatLimitsDto;
  @ApiProperty({ type: MediaLimitsDto }) media!: MediaLimitsDto;
  @ApiProperty({ type: VoiceLimitsDto }) voice!: VoiceLimitsDto;
  @ApiProperty({ type: AvatarLimitsDto }) avatar!: AvatarLimitsDto;
  @ApiProperty({ example: 60 }) requestsPerMinute!: number;
  @ApiProperty({ description: 'Whether premium-only personas are open to the plan.' }) premiumPersonas!: boolean;
}

export class PlanDto {
  @ApiProperty({ example: 'free' }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: PlanLimitsDto, description: 'null means unlimited.' }) limits!: PlanLimitsDto;
}

export class MeterDto {
  @ApiProperty({ example: 'messagesPerDay' }) metric!: string;
  @ApiProperty() used!: number;
  @ApiProperty({ description: 'Held by replies being generated right now.' }) reserved!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: unlimited.' }) limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) remaining!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) resetsAt!: Date;
}

export class ModalityMetersDto {
  @ApiProperty({ type: [MeterDto] }) chat!: MeterDto[];
  @ApiProperty({ type: [MeterDto] }) media!: MeterDto[];
  @ApiProperty({ type: [MeterDto] }) voice!: MeterDto[];
  @ApiProperty({ type: [MeterDto] }) avatar!: MeterDto[];
}

export class UsageEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'chat', description: '`chat` (a reply) or `media` (an upload).' }) modality!: string;
  @ApiProperty({ description: 'Messages for chat, bytes for media.' }) quantity!: number;
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiProperty() cachedInputTokens!: number;
  @ApiProperty() reasoningTokens!: number;
  @ApiProperty({ description: 'Micro-dollars.' }) costMicros!: number;
  @ApiProperty({ type: String, nullable: true }) provider!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: String, nullable: true }) conversationId!: string | null;
  @ApiProperty({ type: String, nullable: true }) messageId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The upload a media event counts.' }) mediaId!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class UsageEventPageDto {
  @ApiProperty({ type: [UsageEventDto] }) items!: UsageEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class MyUsageDto {
  @ApiProperty({ example: 'free', description: 'The plan, or `admin` (unlimited).' }) plan!: string;
  @ApiProperty({ type: ModalityMetersDto }) meters!: ModalityMetersDto;
  @ApiProperty({ type: UsageEventPageDto, description: 'The most recent ledger events, newest first.' }) events!: UsageEventPageDto;
}

export class UsageAggregateDto {
  @ApiProperty({ example: '2026-11-22' }) day!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ type: String, nullable: true }) provider!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty() events!: number;
  @ApiProperty() messages!: number;
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiProperty({ description: 'Micro-dollars.' }) costMicros!: number;
}

export class AdminUsageQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() to?: Date;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() userId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(32) provider?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) model?: string;
}

export class QuotaOverrideDto {
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'Limits laid over the plan for this user, e.g. `{"chat": {"messagesPerDay": 500}}`; null removes every override.',
    example: { chat: { messagesPerDay: 500 } },
  })
  @ValidateIf((_object, value) => value !== null)
  @IsObject()
  limits!: Record<string, unknown> | null;
}

export class EffectiveLimitsDto {
  @ApiProperty({ type: PlanLimitsDto, nullable: true, description: 'null for admins (unlimited).' }) limits!: PlanLimitsDto | null;
}
