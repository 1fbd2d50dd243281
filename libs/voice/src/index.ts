export { SpeechFormatQueryDto, VoiceCatalogueDto } from './dto/voice.dto.js';
export { sendAudio } from './send-audio.js';
export { SpeechClipEntity, VOICE_ENTITIES } from './speech-clip.entity.js';
export { SpeechRegistry, type SpeechProviderStatus } from './speech-registry.js';
export {
  AUDIO_FORMATS,
  AUDIO_FORMAT_TYPES,
  SpeechProviderError,
  type AudioFormat,
  type AudioInput,
  type SpeechToText,
  type Synthesis,
  type SynthesisRequest,
  type TextToSpeech,
  type Transcription,
  type VoiceInfo,
  type VoiceSettings,
} from './speech.types.js';
export { VoiceProblems } from './voice.errors.js';
export { VoiceModule } from './voice.module.js';
export { VoiceService, type SpeechClip, type SpeechContext } from './voice.service.js';
