import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.filter.js';
import { CoreProblems, type ProblemType } from './problem.js';

export class FieldErrorDto {
  @ApiProperty({ description: 'Dotted path of the rejected field.', example: 'email' })
  field!: string;

  @ApiProperty({ description: 'Why it was rejected.', example: 'email must be an email' })
  message!: string;
}

/** The OpenAPI shape of every error response (RFC 9457 problem details). */
export class ProblemDocumentDto {
  @ApiProperty({ description: 'A URI naming the kind of problem.', example: 'urn:chorus:problem:validation_failed' })
  type!: string;

  @ApiProperty({ description: 'Short, human-readable summary of the kind of problem.', example: 'The request is not valid' })
  title!: string;

  @ApiProperty({ description: 'HTTP status code.', example: 400 })
  status!: number;

  @ApiProperty({ description: 'What went wrong with this request.', example: 'Invalid value for: email.' })
  detail!: string;

  @ApiProperty({ description: 'Stable machine-readable code; branch on this, not on the text.', example: 'validation_failed' })
  code!: string;

  @ApiProperty({ description: 'The request id, also in the X-Request-Id response header.', example: '0b6c1f1e-2d0e-4d7a-9a53-1f6f1d1f2b7c' })
  requestId!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'The rejected fields, for validation problems.' })
  errors?: FieldErrorDto[];
}

/**
 * Documents the problem responses an endpoint can return, grouped by status, with their codes.
 * Every endpoint also gets the responses any request can meet: rate limited, internal error,
 * and service unavailable (its database is out of reach).
 */
export function ApiProblems(...problems: ProblemType[]): MethodDecorator & ClassDecorator {
  return ApiErrorResponses([...problems, ...ALWAYS_POSSIBLE], PROBLEM_CONTENT_TYPE, ProblemDocumentDto);
}

/** ApiProblems for routes exempt from the rate limit (`@SkipRateLimit()`): no 429. */
export function ApiUnthrottledProblems(...problems: ProblemType[]): MethodDecorator & ClassDecorator {
  return ApiErrorResponses([...problems, CoreProblems.internal], PROBLEM_CONTENT_TYPE, ProblemDocumentDto);
}

/** The problems any request can meet, whatever the endpoint. */
export const ALWAYS_POSSIBLE: readonly ProblemType[] = [CoreProblems.rateLimited, CoreProblems.internal, CoreProblems.serviceUnavailable];

/**
 * Documents error responses grouped by status, each listing its codes, with the body `model`
 * in `mediaType`: problem+json for the API, another shape where a surface answers its own.
 */
export function ApiErrorResponses(problems: readonly ProblemType[], mediaType: string, model: Type): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ProblemType[]>();
  for (const problem of problems) {
    const list = byStatus.get(problem.status) ?? [];
    if (!list.some((known) => known.code === problem.code)) list.push(problem);
    byStatus.set(problem.status, list);
  }
  return applyDecorators(
    ApiExtraModels(model),
    ...[...byStatus.entries()].map(([status, types]) =>
      ApiResponse({
        status,
        description: types.map((type) => `\`${type.code}\`: ${type.title}`).join('; '),
        content: { [mediaType]: { schema: { $ref: getSchemaPath(model) } } },
      }),
    ),
  );
}
