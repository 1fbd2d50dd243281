export {
  CoreProblems,
  PROBLEM_TYPE_BASE,
  ProblemException,
  problemForStatus,
  type FieldError,
  type ProblemDocument,
  type ProblemOptions,
  type ProblemType,
} from './problem.js';
export { PROBLEM_CONTENT_TYPE, ProblemFilter, toProblemDocument, type ErrorFormat } from './problem.filter.js';
export { createValidationPipe, toFieldErrors } from './validation.js';
export { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable.js';
export { ALWAYS_POSSIBLE, ApiErrorResponses, ApiProblems, ApiUnthrottledProblems, FieldErrorDto, ProblemDocumentDto } from './problem.openapi.js';
