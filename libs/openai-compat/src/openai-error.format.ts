import type { Response } from 'express';
import type { ErrorFormat, ProblemDocument } from '#chorus/core';

/** Where the OpenAI-compatible surface is served. */
export const OPENAI_PATH_PREFIX = '/openai/v1';

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
 * Every error under /openai/v1 (from a route, a guard, the body parser or an unknown path) in
 * OpenAI's shape, `{ error: { message, type, code, param } }`, with Chorus's stable code. A spent
 * quota is `insufficient_quota` and tells clients not to retry (OpenAI's SDKs retry every other
 * 429, honouring Retry-After).
 */
export const OPENAI_ERROR_FORMAT: ErrorFormat = {
  pathPrefix: OPENAI_PATH_PREFIX,
  write(response: Response, problem: ProblemDocument): void {
    let code = problem.code;
    if (code === 'quota_exceeded') {
      code = 'insufficient_quota';
      response.setHeader('x-should-retry', 'false');
    }
    const param = problem.errors?.[0]?.field ?? null;
    response.json({ error: { message: problem.detail, type: errorTypeOf(problem.status), code, param } });
  },
};
