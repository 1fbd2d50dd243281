import type { ProblemType } from '#chorus/core';

export const UsageProblems = {
  quotaExceeded: { code: 'quota_exceeded', status: 429, title: 'Quota exceeded' },
  planRequired: { code: 'plan_required', status: 403, title: 'A higher plan is required' },
  invalidLimits: { code: 'validation_failed', status: 400, title: 'The request is not valid' },
} as const satisfies Record<string, ProblemType>;
