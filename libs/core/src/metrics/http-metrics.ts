import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetricsService } from './metrics.service.js';

/** The route label of a request no route matched (unknown paths, and requests refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Middleware timing every response by method, route pattern and status. The route is the
 * pattern Express matched (`/api/v1/conversations/:id`), never the raw path, so that ids do not
 * make a series each. Timed until the response closes: a finished one, or a stream the client
 * left.
 */
export function httpMetrics(metrics: MetricsService): RequestHandler {
  const duration = metrics.histogram({
    name: 'chorus_http_request_duration_seconds',
    help: 'HTTP responses by method, matched route pattern and status code: time from request to the response closing.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  return (request: Request, response: Response, next: NextFunction): void => {
    const startedAt = performance.now();
    response.once('close', () => {
      duration.observe(
        { method: request.method, route: routeOf(request), status_code: String(response.statusCode) },
        (performance.now() - startedAt) / 1000,
      );
    });
    next();
  };
}

/**
 * Only once the response closes has Express matched the route (the request logger reads it the
 * same way). Nest answers unknown paths under the API prefix with a catch-all `*path` route of
 * its own; Chorus declares no wildcard routes, so a wildcard is always that one.
 */
function routeOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ROUTE;
  return `${request.baseUrl}${path}`;
}
