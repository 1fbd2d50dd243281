import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password-hasher.js';
import { UserDto } from './user.dto.js';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiPropertyOptional({ example: 'Ada', maxLength: 100, description: 'Defaults to the part of the email before the @.' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token from login, register or the previous refresh.', example: 'chorus_rt_...' })
  @IsString()
  @Length(1, 256)
  refreshToken!: string;
}

export class LogoutAllDto {
  @ApiPropertyOptional({ description: 'Also delete every API key of the account (they keep working otherwise).', default: false })
  @IsOptional()
  @IsBoolean()
  revokeApiKeys?: boolean;
}

export class TokensDto {
  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  accessTokenExpiresAt!: Date;

  @ApiProperty({ description: 'Opaque; exchange it at POST /auth/refresh. Each one works once.', example: 'chorus_rt_...' })
  refreshToken!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  refreshTokenExpiresAt!: Date;
}

export class AuthResultDto {
  @ApiProperty({ type: UserDto })
  user!: UserDto;

  @ApiProperty({ type: TokensDto })
  tokens!: TokensDto;
}
