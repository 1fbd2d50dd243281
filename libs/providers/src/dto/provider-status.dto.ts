import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_KINDS, type ModelConfig } from '#chorus/core';
import type { ProviderKind } from '../chat-provider.js';
import type { ProviderStatus } from '../provider-registry.js';
import { BREAKER_STATES, type BreakerState } from '../resilience.js';

export class ProviderModelDto {
  @ApiProperty({ description: 'The model id, as a persona model policy names it.', example: 'gpt-4o-mini' })
  id!: string;

  @ApiProperty({ description: 'Tokens the model reads at most (prompt and reply).', example: 128000 })
  contextWindow!: number;

  @ApiProperty({ description: 'Tokens a reply may have at most.', example: 4096 })
  maxOutputTokens!: number;

  @ApiProperty({ description: 'US dollars per million input tokens.', example: 0.15 })
  inputUsdPerMillion!: number;

  @ApiProperty({ description: 'US dollars per million output tokens.', example: 0.6 })
  outputUsdPerMillion!: number;

  @ApiProperty({ description: 'Whether the model reads images: messages with attachments need one that does.', example: true })
  vision!: boolean;
}

export class ProviderStatusDto {
  @ApiProperty({ description: 'The provider name from the configuration.', example: 'openai' })
  name!: string;

  @ApiProperty({ enum: PROVIDER_KINDS, enumName: 'ProviderKind', description: 'The adapter: `openai` also serves every OpenAI-compatible server.' })
  kind!: ProviderKind;

  @ApiProperty({
    enum: BREAKER_STATES,
    enumName: 'CircuitBreakerState',
    description:
      '`closed`: in use. `open`: failed repeatedly, skipped (its models fall back) until the cooldown ends. ' +
      '`half_open`: the next call is a trial that closes or reopens the circuit.',
  })
  breaker!: BreakerState;

  @ApiProperty({ type: [ProviderModelDto] })
  models!: ProviderModelDto[];
}

export class ProviderListDto {
  @ApiProperty({ type: [ProviderStatusDto] })
  items!: ProviderStatusDto[];
}

export function toProviderStatusDto(status: ProviderStatus): ProviderStatusDto {
  return { name: status.name, kind: status.kind, breaker: status.breaker, models: status.models.map(toProviderModelDto) };
}

function toProviderModelDto(model: ModelConfig): ProviderModelDto {
  return {
    id: model.id,
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    inputUsdPerMillion: model.inputUsdPerMillion,
    outputUsdPerMillion: model.outputUsdPerMillion,
    vision: model.vision,
  };
}
