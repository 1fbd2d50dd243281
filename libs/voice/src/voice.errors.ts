import type { ProblemType } from '#chorus/core';

export const VoiceProblems = {
  sttUnavailable: { code: 'stt_unavailable', status: 503, title: 'Speech-to-text unavailable' },
  sttFailed: { code: 'stt_failed', status: 502, title: 'Transcription failed' },
  ttsUnavailable: { code: 'tts_unavailable', status: 503, title: 'Text-to-speech unavailable' },
  ttsFailed: { code: 'tts_failed', status: 502, title: 'Speech synthesis failed' },
  speechRejected: { code: 'speech_rejected', status: 422, title: 'Refused by the speech provider' },
  nothingHeard: { code: 'no_speech_recognised', status: 422, title: 'No speech recognised' },
  formatUnavailable: { code: 'audio_format_unavailable', status: 406, title: 'Audio format unavailable' },
  speechTooLong: { code: 'speech_too_long', status: 422, title: 'Text too long to speak' },
} as const satisfies Record<string, ProblemType>;
