import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CoreProblems, Roles } from '#chorus/core';
import { ProviderListDto, toProviderStatusDto } from './dto/provider-status.dto.js';
import { ProviderRegistry } from './provider-registry.js';

@ApiTags('providers')
@ApiBearerAuth('bearer')
@Roles('admin')
@ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden)
@Controller('providers')
export class ProvidersController {
  constructor(private readonly registry: ProviderRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'List AI providers',
    description:
      'Admins only. Every configured provider with its models (context window, reply limit, prices) and the ' +
      'state of its circuit breaker: an `open` circuit means the provider failed repeatedly and its models ' +
      'fall back to the next model of each persona policy until a trial call succeeds.',
  })
  @ApiOkResponse({ type: ProviderListDto })
  listProviders(): ProviderListDto {
    return { items: this.registry.status().map(toProviderStatusDto) };
  }
}
