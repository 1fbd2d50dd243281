import type { SttProviderConfig } from '#chorus/core';
import { OpenAISpeechClient } from '../openai-speech-client.js';
import type { AudioInput, SpeechToText, Transcription } from '../speech.types.js';

/**
 * Transcription over the `openai` SDK (`POST /audio/transcriptions`, multipart): OpenAI's
 * whisper-1 and gpt-4o(-mini)-transcribe, or any server speaking the same API. The file goes with
 * its name and type, by which the server tells its format.
 */
export class OpenAISpeechToText implements SpeechToText {
  readonly kind = 'openai' as const;
  readonly name: string;
  readonly model: string;
  private readonly openai: OpenAISpeechClient;

  constructor(config: SttProviderConfig) {
    this.name = config.name;
    this.model = config.model;
    this.openai = new OpenAISpeechClient(config);
  }

  available(): Promise<boolean> {
    return Promise.resolve(this.openai.configured);
  }

  async prepare(): Promise<void> {
    await this.openai.connect();
  }

  async transcribe(audio: AudioInput, signal: AbortSignal): Promise<Transcription> {
    try {
      const client = await this.openai.connect();
      const { toFile } = await import('openai');
      const file = await toFile(audio.data, audio.filename, { type: audio.contentType });
      const transcription = await client.audio.transcriptions.create({ file, model: this.model }, { signal });
      return { text: transcription.text, provider: this.name, model: this.model };
    } catch (error) {
      throw this.openai.failure(error, signal);
    }
  }
}
