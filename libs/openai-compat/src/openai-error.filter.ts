import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ProblemException } from '#chorus/core';

/** OpenAI's error `type` for an HTTP status, so that OpenAI clients react as they do with OpenAI. */
function errorTypeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * Errors of the OpenAI-compatible surface in OpenAI's shape, `{ error: { message, type, code } }`,
 * with Chorus's stable code. A spent quota is `insufficient_quota` and tells clients not to retry
 * (OpenAI's SDKs retry every other 429, honouring Retry-After).
 */
@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAICompat');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    let code = exception instanceof ProblemException ? exception.problem.code : status === 404 ? 'not_found' : 'internal_error';
    let message = exception instanceof ProblemException ? exception.detail : exception instanceof HttpException ? exception.message : 'An unexpected error occurred.';
    if (!(exception instanceof HttpException)) this.logger.error(`Unhandled error: ${(exception as Error)?.message}`);
    if (status >= 500) message = 'An unexpected error occurred.';
    const retryAfter = exception instanceof ProblemException ? exception.extras.extensions?.['retryAfterSeconds'] : undefined;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', retryAfter);
    if (code === 'quota_exceeded') {
      code = 'insufficient_quota';
      response.setHeader('x-should-retry', 'false');
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(status).json({ error: { message, type: errorTypeOf(status), code, param: null } });
  }
}
