import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipRateLimit } from '../rate-limit/rate-limit.guard.js';
import { ApiUnthrottledProblems } from '../errors/problem.openapi.js';
import { CoreProblems, ProblemException } from '../errors/problem.js';
import { Public } from '../http/access.decorators.js';
import { DependencyStatusDto, HealthDto } from './health.dto.js';
import { DependencyHealthIndicators } from './health.indicators.js';

/** Probes for load balancers and orchestrators: outside the API prefix and never rate limited. */
@ApiTags('health')
@ApiExtraModels(DependencyStatusDto)
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyHealthIndicators,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness probe', description: 'Answers 200 while the process is up; checks nothing else.' })
  @ApiOkResponse({ type: HealthDto })
  @ApiUnthrottledProblems()
  async getLiveness(): Promise<HealthDto> {
    return toHealthDto(await this.health.check([]));
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description:
      'Answers 200 when the database (and Redis, when configured) answer; otherwise 503 with ' +
      'a problem document whose `checks` member gives each dependency its status.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiUnthrottledProblems(CoreProblems.serviceUnavailable)
  async getReadiness(): Promise<HealthDto> {
    try {
      return toHealthDto(await this.health.check(this.dependencies.readinessChecks()));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      throw new ProblemException(CoreProblems.serviceUnavailable, `Not ready: ${down.join(', ')} unavailable.`, {
        extensions: { checks: result.details },
      });
    }
  }
}

function toHealthDto(result: HealthCheckResult): HealthDto {
  return { status: result.status, details: result.details as HealthDto['details'] };
}
