import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Length, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { CursorPageQueryDto } from '#chorus/core';
import { USER_ROLES, USER_STATUSES, type UserRole, type UserStatus } from '../entities/index.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password-hasher.js';
import type { UserView } from '../users.service.js';

/** Preferences are the client's to shape, within a size that keeps user rows small. */
export const PREFERENCES_MAX_BYTES = 4096;

function JsonSizeAtMost(bytes: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'jsonSizeAtMost',
      validator: {
        validate: (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') <= bytes,
        defaultMessage: () => `$property must be at most ${bytes} bytes of JSON`,
      },
    },
    options,
  );
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ example: 'Ada' })
  displayName!: string;

  @ApiProperty({ enum: USER_ROLES, enumName: 'UserRole' })
  role!: UserRole;

  @ApiProperty({ example: 'free' })
  plan!: string;

  @ApiProperty({ enum: USER_STATUSES, enumName: 'UserStatus' })
  status!: UserStatus;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { theme: 'dark' } })
  preferences!: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: Date | null;
}

/** UserView is already the user's public projection (never the password hash). */
export function toUserDto(user: UserView): UserDto {
  return { ...user };
}

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada L.', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Free-form client settings, replaced as a whole; at most ${PREFERENCES_MAX_BYTES} bytes of JSON.`,
    example: { theme: 'dark', language: 'en' },
  })
  @IsOptional()
  @IsObject()
  @JsonSizeAtMost(PREFERENCES_MAX_BYTES)
  preferences?: Record<string, unknown>;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  currentPassword!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  newPassword!: string;

  @ApiPropertyOptional({ description: 'Also delete every API key of the account (they survive a password change otherwise).', default: false })
  @IsOptional()
  @IsBoolean()
  revokeApiKeys?: boolean;
}

export class DeleteAccountDto {
  @ApiProperty({ description: 'The current password, to confirm.' })
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class AdminListUsersQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ description: 'Only users whose email contains this text (any letter case).', example: 'example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class AdminUpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES, enumName: 'UserRole' })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({ example: 'premium', description: 'One of the configured plans (PLANS).' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  plan?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES, enumName: 'UserStatus', description: 'Banning ends all sessions and deletes all API keys at once.' })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;
}
