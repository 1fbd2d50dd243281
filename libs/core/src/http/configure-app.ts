import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication, NestExpressBodyParserOptionsFor } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { HTTP_LOGGER } from '../logging/logging.module.js';
import { httpMetrics } from '../metrics/http-metrics.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ProblemFilter, type ErrorFormat } from '../errors/problem.filter.js';
import { createValidationPipe } from '../errors/validation.js';
import { requestContextMiddleware } from '../request-context/request-context.js';
import { rejectNulInUrl, requireJsonBodies, verifyJsonBody } from './input-guards.js';
import { setupOpenApi } from './openapi.js';

export const API_PREFIX = 'api/v1';

/** Paths served outside the API prefix: probes, metrics, and the OpenAI-compatible surface at its own version path. */
const UNPREFIXED_ROUTES = [
  'health/live',
  'health/ready',
  'metrics',
  'openai/v1/models',
  'openai/v1/chat/completions',
  'openai/v1/responses',
  'openai/v1/responses/:id',
  'openai/v1/responses/:id/input_items',
];

/** Mounts the API under /api/v1 (health probes and metrics stay at the root); the OpenAPI generator uses it too. */
export function applyApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
}

export interface HttpSurfaceOptions {
  /** Parts of the API whose errors take another shape than problem+json. */
  readonly errorFormats?: readonly ErrorFormat[];
}

/**
 * Everything about the HTTP surface that is not a module: middleware order, prefix, pipes,
 * filters, security headers and the docs. Called by createApp (for main and the tests alike)
 * before `init()`; the filter it returns also answers unmatched routes, mounted after `init()`.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig, options: HttpSurfaceOptions = {}): ProblemFilter {
  const { http } = config;
  // First, so that every later line, log and error knows the request id; then the request
  // logger, so that even requests the body parser rejects get their log line.
  app.use(requestContextMiddleware);
  app.use(app.get(HTTP_LOGGER));
  app.use(httpMetrics(app.get(MetricsService)));
  app.set('trust proxy', http.trustProxyHops);
  app.disable('x-powered-by');
  app.use(helmet());
  app.enableCors(
    http.corsOrigins.length > 0
      ? { origin: http.corsOrigins.includes('*') ? true : [...http.corsOrigins], exposedHeaders: EXPOSED_HEADERS }
      : { origin: false },
  );
  // Responses carry tokens, keys and people's conversations: no cache, shared or private, keeps them.
  app.use(noStore);
  app.use(rejectNulInUrl);
  app.use(requireJsonBodies);
  // Nest's types reserve `verify` for its `rawBody` option, which Chorus does not use; Express takes it as usual.
  app.useBodyParser('json', { limit: http.bodyLimitBytes, verify: verifyJsonBody } as NestExpressBodyParserOptionsFor<'json'>);
  applyApiPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  const filter = new ProblemFilter(options.errorFormats);
  app.useGlobalFilters(filter);
  if (http.docsEnabled) setupOpenApi(app);
  return filter;
}

function noStore(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('Cache-Control', 'no-store');
  next();
}

/** Response headers a browser client may read across origins. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'X-Quota-Messages-Remaining',
  'X-Quota-Tokens-Remaining',
];
