import type { ProblemType } from '#chorus/core';

/** The refusals of the OpenAI-compatible surface (written in OpenAI's error format). */
export const OpenAICompatProblems = {
  invalidRequest: { code: 'invalid_request', status: 400, title: 'Invalid request' },
  modelNotFound: { code: 'model_not_found', status: 404, title: 'Model not found' },
  modelMismatch: { code: 'model_mismatch', status: 400, title: 'Model does not match the conversation' },
  responseNotFound: { code: 'response_not_found', status: 404, title: 'Response not found' },
  idempotencyConflict: { code: 'idempotency_conflict', status: 409, title: 'Idempotency-Key in use' },
  generationFailed: { code: 'generation_failed', status: 502, title: 'The reply could not be generated' },
} as const satisfies Record<string, ProblemType>;
