import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { MEDIA_STATUSES, type MediaStatus } from '../media.entity.js';
import type { MediaView } from '../media.service.js';

export class MediaUrlsDto {
  @ApiProperty({ description: 'The cleaned image: a presigned URL of the bucket, or an API URL signed for a while (relative to the server).' }) image!: string;
  @ApiProperty({ description: 'A WebP thumbnail, at most 256 px on its longer side.' }) thumbnail!: string;
  @ApiProperty({ description: 'When both URLs stop working: ask for the media again.' }) expiresAt!: Date;
}

export class MediaRejectionDto {
  @ApiProperty({ example: 'image_too_large', description: '`image_too_large`, `image_unreadable` or `unsupported_media_type`.' }) code!: string;
  @ApiProperty() detail!: string;
}

export class MediaDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: MEDIA_STATUSES, enumName: 'MediaStatus', description: '`processing` while it is checked and cleaned, then `ready` or `rejected`.' })
  status!: MediaStatus;
  @ApiProperty({ type: String, nullable: true, example: 'image/jpeg', description: 'What its bytes are, once cleaned.' }) contentType!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The name it was uploaded with, cleaned of paths and control characters.' }) filename!: string | null;
  @ApiProperty({ type: Number, nullable: true }) bytes!: number | null;
  @ApiProperty({ type: Number, nullable: true }) width!: number | null;
  @ApiProperty({ type: Number, nullable: true }) height!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 of the cleaned file, hex.' }) checksum!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ type: MediaUrlsDto, description: 'When ready.' }) urls?: MediaUrlsDto;
  @ApiPropertyOptional({ type: MediaRejectionDto, description: 'When rejected.' }) rejection?: MediaRejectionDto;
}

export function toMediaDto(view: MediaView): MediaDto {
  return { ...view };
}

export class MediaUploadDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The image: JPEG, PNG, WebP or GIF, told by its bytes (its name and declared type are ignored).' })
  file!: unknown;
}

export class MediaContentQueryDto {
  @ApiProperty({ enum: ['image', 'thumbnail'] })
  @IsIn(['image', 'thumbnail'])
  variant!: 'image' | 'thumbnail';

  @ApiProperty({ description: 'Unix seconds after which the URL stops working.' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(99_999_999_999)
  expires!: number;

  @ApiProperty()
  @IsString()
  signature!: string;
}
