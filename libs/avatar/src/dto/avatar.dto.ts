import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { AVATAR_SESSION_STATUSES, AVATAR_STOP_REASONS, type AvatarSessionStatus, type AvatarStopReason } from '../avatar-session.entity.js';
import type { AvatarSessionView, StartedSessionView } from '../avatar.service.js';

export class StartAvatarSessionDto {
  @ApiProperty({ example: 'nova', description: 'The persona (id or handle); it must have a live avatar (`hasLiveAvatar`).' })
  @IsString()
  @Length(1, 80)
  influencerId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "One of my conversations with this persona, whose replies the avatar will speak (see the README's avatar section)." })
  @IsOptional()
  @IsUUID()
  conversationId?: string;
}

export class AvatarSessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  influencerId!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  conversationId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "Who the session is for (admins list everyone's); null once the account is deleted." })
  userId!: string | null;

  @ApiProperty({ example: 'simulated', description: 'The streaming-avatar provider instance.' })
  provider!: string;

  @ApiProperty({ enum: AVATAR_SESSION_STATUSES, enumName: 'AvatarSessionStatus' })
  status!: AvatarSessionStatus;

  @ApiProperty({ description: 'The longest the session may last: AVATAR_MAX_SESSION_SECONDS, or the avatar seconds my plan had left when fewer.' })
  reservedSeconds!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastKeepAliveAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  stoppedAt!: Date | null;

  @ApiProperty({ enum: AVATAR_STOP_REASONS, enumName: 'AvatarStopReason', nullable: true })
  stopReason!: AvatarStopReason | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds billed to my avatar minutes when it ended.' })
  billedSeconds!: number | null;
}

export class AvatarJoinDto {
  @ApiProperty({ enum: ['livekit', 'none'], description: '`livekit`: join `url` with `token` using a LiveKit client; `none`: the simulated provider, which has no video.' })
  transport!: 'livekit' | 'none';

  @ApiProperty({ type: String, nullable: true, example: 'wss://example.livekit.cloud' })
  url!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The room token for this client; given only here, once.' })
  token!: string | null;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the server stops the session at the latest.' })
  expiresAt!: Date;

  @ApiProperty({ description: 'Whether the session is simulated (no video: for trying the API without a provider).' })
  simulated!: boolean;
}

export class StartedAvatarSessionDto {
  @ApiProperty({ type: AvatarSessionDto })
  session!: AvatarSessionDto;

  @ApiProperty({ type: AvatarJoinDto })
  join!: AvatarJoinDto;
}

export function toAvatarSessionDto(session: AvatarSessionView): AvatarSessionDto {
  return {
    id: session.id,
    influencerId: session.influencerId,
    conversationId: session.conversationId,
    userId: session.userId,
    provider: session.provider,
    status: session.status,
    reservedSeconds: session.reservedSeconds,
    createdAt: session.createdAt,
    startedAt: session.startedAt,
    lastKeepAliveAt: session.lastKeepAliveAt,
    stoppedAt: session.stoppedAt,
    stopReason: session.stopReason,
    billedSeconds: session.billedSeconds,
  };
}

export function toStartedAvatarSessionDto(started: StartedSessionView): StartedAvatarSessionDto {
  return {
    session: toAvatarSessionDto(started.session),
    join: { ...started.join, expiresAt: started.expiresAt, simulated: started.join.transport === 'none' },
  };
}
