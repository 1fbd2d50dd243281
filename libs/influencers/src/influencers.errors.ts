import type { ProblemType } from '#chorus/core';

export const InfluencerProblems = {
  notFound: { code: 'not_found', status: 404, title: 'Not found' },
  handleTaken: { code: 'handle_taken', status: 409, title: 'Handle already in use' },
  unknownModel: { code: 'unknown_model', status: 400, title: 'Unknown model' },
  unknownVoiceProvider: { code: 'unknown_voice_provider', status: 400, title: 'Unknown voice provider' },
  unknownAvatarProvider: { code: 'unknown_avatar_provider', status: 400, title: 'Unknown avatar provider' },
} as const satisfies Record<string, ProblemType>;
