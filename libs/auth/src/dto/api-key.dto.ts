import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Length, MinDate } from 'class-validator';
import type { ApiKeyView } from '../api-keys.service.js';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'production server', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When the key stops working; never, if omitted.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'production server' })
  name!: string;

  @ApiProperty({ description: 'The first characters of the key, to tell keys apart.', example: 'chorus_sk_Ab3xYz' })
  prefix!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Recorded to the minute.' })
  lastUsedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: Date | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown this once: store it now.', example: 'chorus_sk_...' })
  secret!: string;
}

/** ApiKeyView is already the key's public projection (never its hash). */
export function toApiKeyDto(key: ApiKeyView): ApiKeyDto {
  return { ...key };
}
