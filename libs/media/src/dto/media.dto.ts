import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { SignedUrlQueryDto } from '../signed-urls.js';
import { MEDIA_PURPOSES, MEDIA_STATUSES, type MediaPurpose, type MediaStatus } from '../media.entity.js';
import type { MediaVariant, MediaView } from '../media.service.js';

const MEDIA_VARIANTS: readonly MediaVariant[] = ['image', 'thumbnail', 'audio'];

/** Each URL is a presigned URL of the bucket, or an API URL signed for a while (relative to the server). */
export class MediaUrlsDto {
  @ApiPropertyOptional({ description: 'An image: the cleaned image.' }) image?: string;
  @ApiPropertyOptional({ description: 'An image: a WebP thumbnail, at most 256 px on its longer side.' }) thumbnail?: string;
  @ApiPropertyOptional({ description: 'An audio: the file as uploaded, with its own type.' }) audio?: string;
  @ApiProperty({ description: 'When the URLs stop working: ask for the media again.' }) expiresAt!: Date;
}

export class MediaRejectionDto {
  @ApiProperty({
    example: 'image_too_large',
    description:
      '`image_too_large`, `image_unreadable` or `unsupported_media_type`; `moderation_flagged` (the detail names the categories) ' +
      'or `moderation_unavailable` (no verdict could be had: upload it again later).',
  })
  code!: string;
  @ApiProperty() detail!: string;
}

export class MediaDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    enum: MEDIA_STATUSES,
    enumName: 'MediaStatus',
    description: '`pending` while a direct upload is awaited, `processing` while it is checked and cleaned, then `ready` or `rejected`.',
  })
  status!: MediaStatus;
  @ApiProperty({ enum: MEDIA_PURPOSES, enumName: 'MediaPurpose', description: "`upload`: a user's; `profile` or `gallery`: a persona's." }) purpose!: MediaPurpose;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "A persona's media: the persona; a user's upload: the persona it was meant for, if any." })
  influencerId!: string | null;
  @ApiProperty({ type: [String], description: "A persona's gallery item: what `send_media` picks it by." }) tags!: string[];
  @ApiProperty({ type: String, nullable: true }) caption!: string | null;
  @ApiProperty({ description: 'Only plans with premium personas see it.' }) premiumOnly!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'image/jpeg', description: 'What its bytes are: an image once cleaned, or audio (`audio/wav`, `audio/webm`, `audio/ogg`, `audio/mpeg`, `audio/mp4`).' })
  contentType!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The name it was uploaded with, cleaned of paths and control characters.' }) filename!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Once cleaned; while a direct upload is pending, the size declared.' }) bytes!: number | null;
  @ApiProperty({ type: Number, nullable: true }) width!: number | null;
  @ApiProperty({ type: Number, nullable: true }) height!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Audio: its length in milliseconds, measured from its bytes.' }) durationMs!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 of the cleaned file (an audio: of the file), hex.' }) checksum!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ type: MediaUrlsDto, description: 'When ready.' }) urls?: MediaUrlsDto;
  @ApiPropertyOptional({ type: MediaRejectionDto, description: 'When rejected.' }) rejection?: MediaRejectionDto;
}

export function toMediaDto(view: MediaView): MediaDto {
  return { ...view, tags: [...view.tags] };
}

export class MediaContentQueryDto extends SignedUrlQueryDto {
  @ApiProperty({ enum: MEDIA_VARIANTS })
  @IsIn(MEDIA_VARIANTS)
  variant!: MediaVariant;
}
