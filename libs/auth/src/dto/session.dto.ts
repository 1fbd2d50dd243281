import { ApiProperty } from '@nestjs/swagger';
import type { SessionView } from '../sessions.service.js';

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt!: Date;

  @ApiProperty({ description: 'True for the session of the access token making this request.' })
  current!: boolean;
}

export function toSessionDto(session: SessionView, currentSessionId: string | undefined): SessionDto {
  // The view already holds only what a client may see.
  return { ...session, current: session.id === currentSessionId };
}
