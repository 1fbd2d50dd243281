import { ApiProperty } from '@nestjs/swagger';
import type { Response } from 'express';
import { ALWAYS_POSSIBLE, ApiErrorResponses, type ErrorFormat, type ProblemDocument, type ProblemType } from '#chorus/core';

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

class OpenAIErrorDetailDto {
  @ApiProperty({ description: 'What went wrong.' })
  message!: string;

  @ApiProperty({ example: 'invalid_request_error', description: "OpenAI's error type for the status." })
  type!: string;

  @ApiProperty({ example: 'model_not_found', description: "Chorus's stable code (`insufficient_quota` for a spent quota)." })
  code!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The rejected field, when one is known.' })
  param!: string | null;
}

/** The OpenAPI shape of the errors of the OpenAI-compatible surface. */
export class OpenAIErrorDto {
  @ApiProperty({ type: OpenAIErrorDetailDto })
  error!: OpenAIErrorDetailDto;
}

/**
 * Documents an OpenAI-compatible endpoint's errors, in OpenAI's shape, grouped by status with
 * their codes; like ApiProblems, every endpoint also gets rate limited, internal error and
 * service unavailable.
 */
export function ApiOpenAIErrors(...problems: ProblemType[]): MethodDecorator & ClassDecorator {
  return ApiErrorResponses([...problems, ...ALWAYS_POSSIBLE], 'application/json', OpenAIErrorDto);
}
