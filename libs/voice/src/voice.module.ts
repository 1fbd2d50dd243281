import { Module } from '@nestjs/common';
import { MediaModule } from '#chorus/media';
import { UsageModule } from '#chorus/usage';
import { SpeechClipsRepository } from './speech-clips.repository.js';
import { SpeechRegistry } from './speech-registry.js';
import { VoiceController } from './voice.controller.js';
import { VoiceService } from './voice.service.js';

/** Speech-to-text and text-to-speech providers, voice messages' transcripts, and spoken replies kept for replay. */
@Module({
  imports: [MediaModule, UsageModule],
  controllers: [VoiceController],
  providers: [SpeechRegistry, VoiceService, SpeechClipsRepository],
  exports: [VoiceService],
})
export class VoiceModule {}
