import type { ModerationConfig } from '#chorus/core';
import { NoModeration, type ModerationProvider } from './moderation-provider.js';
import { OpenAIModeration } from './openai-moderation.js';
import { RekognitionModeration } from './rekognition-moderation.js';

/** The configured provider. Text moderation with a provider that reads no text stops the start, naming the fix. */
export function createModerationProvider(config: ModerationConfig): ModerationProvider {
  switch (config.provider) {
    case 'none':
      return new NoModeration();
    case 'openai':
      return new OpenAIModeration(config);
    case 'rekognition':
      if (config.text) throw new Error('MODERATION_TEXT=true requires MODERATION_PROVIDER=openai: Rekognition moderates images only.');
      return new RekognitionModeration(config);
  }
}
