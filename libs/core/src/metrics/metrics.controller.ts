import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { InjectConfig } from '../config/config.module.js';
import { ApiUnthrottledProblems } from '../errors/problem.openapi.js';
import { CoreProblems, ProblemException } from '../errors/problem.js';
import { OwnCredentials } from '../http/access.decorators.js';
import { METRICS_SECURITY_SCHEME } from '../http/openapi.js';
import { SkipRateLimit } from '../rate-limit/rate-limit.guard.js';
import { MetricsService } from './metrics.service.js';

/** The Prometheus text exposition format, as documented (the served header adds `charset=utf-8`). */
const EXPOSITION_MEDIA_TYPE = 'text/plain; version=0.0.4';

/**
 * Prometheus scrapes, outside the API prefix and never rate limited. Off (404) unless
 * METRICS_TOKEN is set; then only a scraper sending it as a bearer token gets the metrics.
 */
@ApiTags('metrics')
@OwnCredentials()
@SkipRateLimit()
@Controller('metrics')
export class MetricsController {
  /** The token's digest: compared in constant time with the digest of what a caller sends, whatever its length. */
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly metrics: MetricsService,
    @InjectConfig() config: AppConfig,
  ) {
    this.tokenDigest = config.metrics.token === undefined ? undefined : digest(config.metrics.token);
  }

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'The process\'s metrics in the Prometheus text format: HTTP latency by route, replies (time to first token, duration, ' +
      'tokens, cost, outcome), provider errors and circuit states, open reply streams, quota and rate-limit refusals, the ' +
      'database pool, and the Node.js process. Needs `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN the ' +
      'endpoint is off and answers 404.',
  })
  @ApiSecurity(METRICS_SECURITY_SCHEME)
  @ApiProduces(EXPOSITION_MEDIA_TYPE)
  @ApiOkResponse({ description: 'The metrics, in the Prometheus text exposition format 0.0.4.', content: { [EXPOSITION_MEDIA_TYPE]: { schema: { type: 'string' } } } })
  @ApiUnthrottledProblems(CoreProblems.unauthorized, CoreProblems.notFound)
  async getMetrics(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<string> {
    if (!this.tokenDigest) throw new ProblemException(CoreProblems.notFound, 'Metrics are off: set METRICS_TOKEN to turn them on.');
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (sent === undefined || !timingSafeEqual(digest(sent), this.tokenDigest)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ProblemException(CoreProblems.unauthorized, 'Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.');
    }
    const body = await this.metrics.exposition();
    response.setHeader('Content-Type', this.metrics.contentType);
    return body;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
