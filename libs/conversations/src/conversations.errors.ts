import type { ProblemType } from '#chorus/core';

export const ConversationProblems = {
  personaUnavailable: { code: 'persona_unavailable', status: 409, title: 'Persona unavailable' },
  replyInProgress: { code: 'reply_in_progress', status: 409, title: 'Reply in progress' },
  modelNotMultimodal: { code: 'model_not_multimodal', status: 422, title: 'Model does not read images' },
  nothingToSpeak: { code: 'nothing_to_speak', status: 422, title: 'Nothing to speak' },
} as const satisfies Record<string, ProblemType>;
