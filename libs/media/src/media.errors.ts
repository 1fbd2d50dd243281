import type { ProblemType } from '#chorus/core';

export const MediaProblems = {
  urlInvalid: { code: 'media_url_invalid', status: 403, title: 'Media URL invalid or expired' },
} as const satisfies Record<string, ProblemType>;
