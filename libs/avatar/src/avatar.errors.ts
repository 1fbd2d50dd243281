import type { ProblemType } from '#chorus/core';

export const AvatarProblems = {
  noAvatar: { code: 'avatar_unavailable', status: 409, title: 'This persona has no live avatar' },
  conversationMismatch: { code: 'conversation_persona_mismatch', status: 422, title: 'The conversation is with another persona' },
  sessionLimit: { code: 'avatar_session_limit', status: 409, title: 'Too many avatar sessions' },
  sessionEnded: { code: 'avatar_session_ended', status: 409, title: 'The avatar session has ended' },
  providerUnavailable: { code: 'avatar_provider_unavailable', status: 503, title: 'Avatar provider unavailable' },
  providerFailed: { code: 'avatar_provider_failed', status: 502, title: 'Avatar provider failed' },
} as const satisfies Record<string, ProblemType>;
