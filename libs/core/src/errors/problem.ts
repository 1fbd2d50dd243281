import { HttpException } from '@nestjs/common';

/** One rejected field of a request, as listed in a validation problem. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem document, as every Chorus error response carries it. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requestId: string;
  readonly errors?: readonly FieldError[];
  /** Extra members some problems carry, e.g. the limit a quota problem hit. */
  readonly [extension: string]: unknown;
}

/** A kind of error a feature can raise: a stable machine code, its HTTP status and a short title. */
export interface ProblemType {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

export const PROBLEM_TYPE_BASE = 'urn:chorus:problem:';

/** The error kinds the platform itself raises. Features declare theirs the same way in `*.errors.ts`. */
export const CoreProblems = {
  badRequest: { code: 'bad_request', status: 400, title: 'Bad request' },
  validationFailed: { code: 'validation_failed', status: 400, title: 'The request is not valid' },
  malformedRequest: { code: 'malformed_request', status: 400, title: 'The request body could not be read' },
  unauthorized: { code: 'unauthorized', status: 401, title: 'Authentication is required' },
  forbidden: { code: 'forbidden', status: 403, title: 'This action is not allowed' },
  notFound: { code: 'not_found', status: 404, title: 'Not found' },
  methodNotAllowed: { code: 'method_not_allowed', status: 405, title: 'Method not allowed' },
  conflict: { code: 'conflict', status: 409, title: 'Conflict' },
  payloadTooLarge: { code: 'payload_too_large', status: 413, title: 'The request body is too large' },
  unsupportedMediaType: { code: 'unsupported_media_type', status: 415, title: 'Unsupported media type' },
  rateLimited: { code: 'rate_limited', status: 429, title: 'Too many requests' },
  internal: { code: 'internal_error', status: 500, title: 'Internal server error' },
  serviceUnavailable: { code: 'service_unavailable', status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, ProblemType>;

export interface ProblemOptions {
  readonly errors?: readonly FieldError[];
  /** Extra members for the problem document (never secrets: they are sent to the client). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Thrown by services to answer with a specific problem; the filter renders it. */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemType,
    readonly detail: string,
    readonly extras: ProblemOptions = {},
  ) {
    super(detail, problem.status);
  }
}

/** The problem reported for an error that carries nothing but an HTTP status. */
const PROBLEMS_BY_STATUS = new Map<number, ProblemType>(
  [
    CoreProblems.badRequest,
    CoreProblems.unauthorized,
    CoreProblems.forbidden,
    CoreProblems.notFound,
    CoreProblems.methodNotAllowed,
    CoreProblems.conflict,
    CoreProblems.payloadTooLarge,
    CoreProblems.unsupportedMediaType,
    CoreProblems.rateLimited,
    CoreProblems.internal,
    CoreProblems.serviceUnavailable,
  ].map((problem) => [problem.status, problem]),
);

/** The problem type Chorus reports for a bare HTTP status (from Nest's own exceptions, body-parser...). */
export function problemForStatus(status: number): ProblemType {
  const known = PROBLEMS_BY_STATUS.get(status);
  if (known) return known;
  if (status >= 500) return { ...CoreProblems.internal, status };
  return { code: 'http_error', status, title: 'Request failed' };
}
