import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import type { DirectUploadView } from '../direct-upload.service.js';
import { AUDIO_TYPES, IMAGE_TYPES, type ImageType } from '../processing/index.js';
import { MediaDto, toMediaDto } from './media.dto.js';

/** What a persona's media is for: its profile image, or an item of its gallery (which `send_media` sends). */
export const PERSONA_MEDIA_PURPOSES = ['profile', 'gallery'] as const;
export type PersonaMediaPurpose = (typeof PERSONA_MEDIA_PURPOSES)[number];

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 32;
export const MAX_CAPTION_LENGTH = 500;

/** The image types, as the descriptions of uploads list them. */
const IMAGE_TYPE_LIST = IMAGE_TYPES.join(', ');

/** `a, B ,,a` → `['a', 'b']`: trimmed, lower-cased, without empty or repeated tags. */
function tagsOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return [...new Set(value.split(',').map((tag) => tag.trim().toLowerCase()).filter((tag) => tag !== ''))];
}

/** `true` and `false` as sent in a form; anything else is left for the validator to refuse. */
function booleanOf(value: unknown): unknown {
  return value === 'true' ? true : value === 'false' ? false : value;
}

/** The text fields a user's upload may carry, sent before its file. */
export class UserUploadFieldsDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The persona the image is meant for: its moderation policy judges it (422 when there is no such persona).' })
  @IsOptional()
  @IsUUID()
  influencerId?: string;
}

/** The multipart body of a user's upload. */
export class MediaUploadDto extends UserUploadFieldsDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: `The image (${IMAGE_TYPE_LIST}) or the voice message's audio (${AUDIO_TYPES.join(', ')}), told by its bytes (its name and declared type are ignored). The last part: a part after it is refused with 400.`,
  })
  file!: unknown;
}

/** The text fields of a persona's media, sent before its file. */
export class PersonaUploadFieldsDto {
  @ApiPropertyOptional({ enum: PERSONA_MEDIA_PURPOSES, enumName: 'PersonaMediaPurpose', default: 'gallery' })
  @IsOptional()
  @IsIn(PERSONA_MEDIA_PURPOSES)
  purpose?: PersonaMediaPurpose;

  @ApiPropertyOptional({
    type: String,
    example: 'beach,summer',
    description: `Comma-separated tags the \`send_media\` tool picks gallery items by: trimmed and lower-cased, at most ${MAX_TAGS} of at most ${MAX_TAG_LENGTH} characters.`,
  })
  @IsOptional()
  @Transform(({ value }) => tagsOf(value))
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @MaxLength(MAX_TAG_LENGTH, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ maxLength: MAX_CAPTION_LENGTH, description: 'Shown with the image when the persona sends it.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CAPTION_LENGTH)
  caption?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'Only plans with premium personas receive it.' })
  @IsOptional()
  @Transform(({ value }) => booleanOf(value))
  @IsBoolean()
  premiumOnly?: boolean;
}

/** The multipart body of a persona's media. */
export class PersonaMediaUploadDto extends PersonaUploadFieldsDto {
  @ApiProperty({ type: 'string', format: 'binary', description: `The image (${IMAGE_TYPE_LIST}), told by its bytes. The last part: a part after it is refused with 400.` })
  file!: unknown;
}

/** A direct upload to the bucket, announced before the file is sent. */
export class CreateDirectUploadDto {
  @ApiPropertyOptional({ maxLength: 255, description: 'The file name, for display only.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  filename?: string;

  @ApiProperty({ enum: IMAGE_TYPES, enumName: 'DirectUploadContentType', description: 'The type the file will be sent with; its bytes must be an image of a supported type.' })
  @IsIn(IMAGE_TYPES)
  contentType!: ImageType;

  @ApiProperty({ minimum: 1, example: 24_000_000, description: 'The file\'s size in bytes, at most MEDIA_DIRECT_UPLOAD_MAX_BYTES: the bucket refuses a larger file, and so does `complete`.' })
  @IsInt()
  @Min(1)
  bytes!: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'The persona the image is meant for: its moderation policy judges it (422 when there is no such persona).' })
  @IsOptional()
  @IsUUID()
  influencerId?: string;
}

export class PresignedUploadDto {
  @ApiProperty({ example: 'https://bucket.s3.eu-west-1.amazonaws.com/', description: 'Where to POST the `multipart/form-data` form.' }) url!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The form fields, sent as they are and before the file, which goes last in a part named `file`.',
  })
  fields!: Record<string, string>;
  @ApiProperty({ description: 'When the form stops working; `complete` must follow by then (unfinished uploads are deleted).' }) expiresAt!: Date;
}

export class DirectUploadDto {
  @ApiProperty({ type: MediaDto, description: 'The media, `pending` until completed.' }) media!: MediaDto;
  @ApiProperty({ type: PresignedUploadDto }) upload!: PresignedUploadDto;
}

export function toDirectUploadDto(issued: DirectUploadView): DirectUploadDto {
  return { media: toMediaDto(issued.media), upload: { ...issued.upload, fields: { ...issued.upload.fields } } };
}
