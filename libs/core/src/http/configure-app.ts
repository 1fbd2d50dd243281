import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { HTTP_LOGGER } from '../logging/logging.module.js';
import { ProblemFilter } from '../errors/problem.filter.js';
import { createValidationPipe } from '../errors/validation.js';
import { requestContextMiddleware } from '../request-context/request-context.js';
import { setupOpenApi } from './openapi.js';

export const API_PREFIX = 'api/v1';

/** Paths served outside the API prefix: probes, and the OpenAI-compatible surface at its own version path. */
const UNPREFIXED_ROUTES = ['health/live', 'health/ready', 'openai/v1/models', 'openai/v1/chat/completions'];

/** Mounts the API under /api/v1 (health probes stay at the root); the OpenAPI generator uses it too. */
export function applyApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
}

/**
 * Everything about the HTTP surface that is not a module: middleware order, prefix, pipes,
 * filters, security headers and the docs. Called by main and by the tests alike.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  const { http } = config;
  // First, so that every later line, log and error knows the request id; then the request
  // logger, so that even requests the body parser rejects get their log line.
  app.use(requestContextMiddleware);
  app.use(app.get(HTTP_LOGGER));
  app.set('trust proxy', http.trustProxyHops);
  app.disable('x-powered-by');
  app.use(helmet());
  app.enableCors(
    http.corsOrigins.length > 0
      ? { origin: http.corsOrigins.includes('*') ? true : [...http.corsOrigins], exposedHeaders: EXPOSED_HEADERS }
      : { origin: false },
  );
  app.useBodyParser('json', { limit: http.bodyLimitBytes });
  app.useBodyParser('urlencoded', { limit: http.bodyLimitBytes, extended: false });
  applyApiPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  if (http.docsEnabled) setupOpenApi(app);
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
