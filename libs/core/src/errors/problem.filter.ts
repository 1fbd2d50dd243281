import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MAX_JSON_DEPTH, NUL_CHARACTER_DETAIL, REJECTED_BODY_TYPES } from '../http/input-guards.js';
import { requestIdOf } from '../request-context/request-context.js';
import { renderDatabaseUnavailable } from './database-unavailable.js';
import {
  CoreProblems,
  PROBLEM_TYPE_BASE,
  ProblemException,
  problemForStatus,
  type ProblemDocument,
  type ProblemOptions,
  type ProblemType,
} from './problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const UNREADABLE_BODY = { problem: CoreProblems.malformedRequest, detail: 'The request body is not valid JSON.' };
const UNSUPPORTED_ENCODING = {
  problem: CoreProblems.unsupportedMediaType,
  detail: 'The request body uses an encoding or charset this server does not accept.',
};

/** Errors raised by Express' body parsers (and our checks of the raw body) before a request reaches Nest. */
const BODY_PARSER_PROBLEMS: Record<string, { problem: ProblemType; detail: string }> = {
  'entity.parse.failed': UNREADABLE_BODY,
  'entity.verify.failed': UNREADABLE_BODY,
  'request.aborted': UNREADABLE_BODY,
  'request.size.invalid': UNREADABLE_BODY,
  'entity.too.large': { problem: CoreProblems.payloadTooLarge, detail: 'The request body exceeds the size this endpoint accepts.' },
  'encoding.unsupported': UNSUPPORTED_ENCODING,
  'charset.unsupported': UNSUPPORTED_ENCODING,
  [REJECTED_BODY_TYPES.tooDeep]: { problem: CoreProblems.validationFailed, detail: `JSON may be nested at most ${MAX_JSON_DEPTH} levels deep.` },
  [REJECTED_BODY_TYPES.nulCharacter]: { problem: CoreProblems.validationFailed, detail: NUL_CHARACTER_DETAIL },
};

/**
 * Another shape for the errors of one part of the API, e.g. the OpenAI-compatible surface,
 * whose clients expect OpenAI's error objects. The filter still decides status, code, detail
 * and headers; a format only writes the body.
 */
export interface ErrorFormat {
  /** Requests whose path starts with this get their errors in this format. */
  readonly pathPrefix: string;
  write(response: Response, problem: ProblemDocument): void;
}

interface RenderedError {
  readonly problem: ProblemType;
  readonly detail: string;
  readonly options?: ProblemOptions;
}

/**
 * Renders every error as an RFC 9457 problem document. Anything not raised on purpose becomes
 * a logged 500 whose body says nothing about the internals (no stack, SQL or configuration).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly formats: readonly ErrorFormat[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.respond(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }

  /**
   * Express middleware for requests no route matched, mounted last: Nest answers those only
   * under the API prefix, and Express' own answer is an HTML page.
   */
  readonly unmatchedRoute = (request: Request, response: Response): void => {
    this.respond(new ProblemException(CoreProblems.notFound, `No route for ${request.method} ${request.path}.`), request, response);
  };

  private respond(exception: unknown, request: Request, response: Response): void {
    const requestId = requestIdOf(request);
    const rendered = this.render(exception, request);
    if (response.headersSent) {
      // A streamed response already started: all that is left is to end it.
      response.end();
      return;
    }
    // Whoever raised a 429 or 503 with a known wait (the rate limiter, a feature's own budget), clients read it here.
    const retryAfter = rendered.options?.extensions?.['retryAfterSeconds'];
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', retryAfter);
    const document = toProblemDocument(rendered.problem, rendered.detail, requestId, rendered.options);
    const format = this.formats.find((candidate) => request.path.startsWith(candidate.pathPrefix));
    response.status(rendered.problem.status);
    if (format) format.write(response, document);
    else response.type(PROBLEM_CONTENT_TYPE).json(document);
  }

  private render(exception: unknown, request: Request): RenderedError {
    if (exception instanceof ProblemException) {
      return { problem: exception.problem, detail: exception.detail, options: exception.extras };
    }
    const bodyParserProblem = bodyParserProblemOf(exception);
    if (bodyParserProblem) return bodyParserProblem;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const problem = problemForStatus(status);
      if (status >= 500) this.logUnexpected(exception, request);
      return { problem, detail: status >= 500 ? problem.title : messageOf(exception) };
    }
    const databaseUnavailable = renderDatabaseUnavailable(exception, request);
    if (databaseUnavailable) return databaseUnavailable;
    this.logUnexpected(exception, request);
    return { problem: CoreProblems.internal, detail: 'An unexpected error occurred. Quote the request id when reporting it.' };
  }

  private logUnexpected(exception: unknown, request: Request): void {
    const error = exception instanceof Error ? exception : new Error(String(exception));
    // The message and the frame that threw are enough to find the fault; the stack, and the
    // SQL and parameters a database error carries, stay out of the logs. The request's logger adds its id.
    this.logger.error(
      { error: { type: error.name, message: withoutCredentials(error.message), origin: thrownAt(error) } },
      `Unhandled error on ${request.method} ${request.path}`,
    );
  }
}

export function toProblemDocument(
  problem: ProblemType,
  detail: string,
  requestId: string,
  options: ProblemOptions = {},
): ProblemDocument {
  return {
    ...options.extensions,
    type: `${PROBLEM_TYPE_BASE}${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail,
    code: problem.code,
    requestId,
    ...(options.errors ? { errors: options.errors } : {}),
  };
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Express' body parsers mark their errors with a `type`; Nest wraps them in an HttpException's cause. */
function bodyParserProblemOf(exception: unknown): RenderedError | undefined {
  const error = exception instanceof HttpException ? exception.cause : exception;
  const type = (error as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' ? BODY_PARSER_PROBLEMS[type] : undefined;
}

/** Connection strings in error messages (`scheme://user:password@host`) lose their credentials. */
function withoutCredentials(message: string): string {
  return message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1[redacted]@');
}

/** `file:line` of the frame that threw, without the rest of the stack. */
function thrownAt(error: Error): string | undefined {
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame?.trim().replace(/^at\s+/, '');
}
