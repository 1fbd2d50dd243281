import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CursorPageQueryDto } from '#chorus/core';
import { MEDIA_PURPOSES, MEDIA_STATUSES, type MediaPurpose, type MediaStatus } from '../media.entity.js';
import type { AdminMediaView, ReviewDecision } from '../media-review.service.js';
import { MediaRejectionDto, MediaUrlsDto } from './media.dto.js';

export class AdminMediaQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: MEDIA_STATUSES, enumName: 'MediaStatus', default: 'rejected' })
  @IsOptional()
  @IsIn(MEDIA_STATUSES)
  status: MediaStatus = 'rejected';

  @ApiPropertyOptional({ example: 'moderation_flagged', description: 'Only rejections with this code.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  rejectionCode?: string;

  @ApiPropertyOptional({ type: Boolean, description: '`false`: only files no admin has reviewed yet; `true`: only reviewed ones.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  reviewed?: boolean;
}

export class MediaReviewDto {
  @ApiProperty({ enum: ['approve', 'reject'], enumName: 'MediaReviewDecision', description: '`approve` makes the file ready for its owner; `reject` confirms the rejection.' })
  @IsIn(['approve', 'reject'])
  decision!: ReviewDecision;
}

export class MediaOwnerDto {
  @ApiProperty({ enum: ['user', 'persona'], enumName: 'MediaOwnerKind' }) kind!: 'user' | 'persona';
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true, description: "A user's email, or a persona's handle." }) name!: string | null;
}

export class MediaModerationReviewDto {
  @ApiProperty({ enum: ['approved', 'rejected'], enumName: 'MediaReviewOutcome' }) decision!: 'approved' | 'rejected';
  @ApiProperty({ format: 'uuid', description: 'The admin who reviewed it.' }) by!: string;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
}

export class MediaModerationDto {
  @ApiProperty({ example: 'openai', description: '`openai` or `rekognition`.' }) provider!: string;
  @ApiProperty({ description: 'Whether the policy it was judged by flagged it.' }) flagged!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { sexual: 0.93, violence: 0.01 }, description: 'Every category scored, 0 to 1.' })
  scores!: Record<string, number>;
  @ApiProperty({ type: [String], example: ['sexual'], description: 'The categories at or over their threshold, and not allowed, most confident first.' })
  flaggedCategories!: string[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "The persona whose policy judged it; null: the deployment's default." })
  policyOf!: string | null;
  @ApiPropertyOptional({ type: MediaModerationReviewDto, description: "An admin's review, once made." }) review?: MediaModerationReviewDto;
}

export class AdminMediaDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: MEDIA_STATUSES, enumName: 'MediaStatus' }) status!: MediaStatus;
  @ApiProperty({ enum: MEDIA_PURPOSES, enumName: 'MediaPurpose' }) purpose!: MediaPurpose;
  @ApiProperty({ type: MediaOwnerDto }) owner!: MediaOwnerDto;
  @ApiProperty({ type: String, nullable: true, example: 'image/jpeg' }) contentType!: string | null;
  @ApiProperty({ type: String, nullable: true }) filename!: string | null;
  @ApiProperty({ type: Number, nullable: true }) bytes!: number | null;
  @ApiProperty({ type: Number, nullable: true }) width!: number | null;
  @ApiProperty({ type: Number, nullable: true }) height!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'When it last changed: for a rejection, when it was rejected.' }) updatedAt!: Date;
  @ApiPropertyOptional({ type: MediaRejectionDto, description: 'When rejected.' }) rejection?: MediaRejectionDto;
  @ApiProperty({ type: MediaModerationDto, nullable: true, description: 'The verdict, when a provider judged it.' }) moderation!: MediaModerationDto | null;
  @ApiPropertyOptional({ type: MediaUrlsDto, description: 'When its files are kept: ready, or flagged by moderation (kept for review).' }) urls?: MediaUrlsDto;
}

export function toAdminMediaDto(view: AdminMediaView): AdminMediaDto {
  const { moderation, ...rest } = view;
  return {
    ...rest,
    owner: { ...view.owner },
    moderation: moderation && {
      ...moderation,
      scores: { ...moderation.scores },
      flaggedCategories: [...moderation.flaggedCategories],
      ...(moderation.review ? { review: { ...moderation.review } } : {}),
    },
  };
}
