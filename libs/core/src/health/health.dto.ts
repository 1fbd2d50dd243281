import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DependencyStatusDto {
  @ApiProperty({ enum: ['up', 'down', 'degraded'], enumName: 'DependencyStatus', example: 'up' })
  status!: 'up' | 'down' | 'degraded';

  @ApiPropertyOptional({ description: 'How long the check took.', example: 1 })
  latencyMs?: number;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error', 'degraded', 'shutting_down'], enumName: 'HealthStatus', example: 'ok' })
  status!: string;

  @ApiProperty({
    description: 'Each dependency checked, by name (database, redis).',
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyStatusDto' },
    example: { database: { status: 'up', latencyMs: 1 } },
  })
  details!: Record<string, DependencyStatusDto>;
}
