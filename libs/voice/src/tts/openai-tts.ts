import type { TtsProviderConfig } from '#chorus/core';
import { OpenAISpeechClient } from '../openai-speech-client.js';
import { AUDIO_FORMAT_TYPES, SpeechProviderError, type AudioFormat, type Synthesis, type SynthesisRequest, type TextToSpeech, type VoiceInfo } from '../speech.types.js';

/** OpenAI's built-in voices (its API offers no list of them). */
const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse'] as const;

/** The events of a speech stream (`stream_format: 'sse'`): the audio in base64 pieces, then the end with its usage. */
type SpeechStreamEvent = { readonly type: 'speech.audio.delta'; readonly audio: string } | { readonly type: 'speech.audio.done' };

/**
 * Speech over the `openai` SDK (`POST /audio/speech`). The gpt-4o models take instructions
 * (how to speak) and stream their audio as server-sent events, which are put together here;
 * tts-1 and tts-1-hd (and most compatible servers) answer the audio's bytes.
 */
export class OpenAITextToSpeech implements TextToSpeech {
  readonly kind = 'openai' as const;
  readonly formats: readonly AudioFormat[] = ['mp3', 'opus', 'wav'];
  readonly name: string;
  readonly model: string;
  readonly defaultVoice: string;
  private readonly openai: OpenAISpeechClient;
  /** gpt-4o-mini-tts and its kin: instructions and `stream_format: 'sse'` (tts-1 refuses both). */
  private readonly steerable: boolean;

  constructor(config: TtsProviderConfig) {
    this.name = config.name;
    this.model = config.model;
    this.defaultVoice = config.defaultVoice;
    this.openai = new OpenAISpeechClient(config);
    this.steerable = config.model.startsWith('gpt-4o');
  }

  available(): Promise<boolean> {
    return Promise.resolve(this.openai.configured);
  }

  async prepare(): Promise<void> {
    await this.openai.connect();
  }

  voices(): Promise<VoiceInfo[]> {
    return Promise.resolve(OPENAI_VOICES.map((voice) => ({ provider: this.name, voiceId: voice, name: voice[0]!.toUpperCase() + voice.slice(1) })));
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<Synthesis> {
    const { voiceId, speed, instructions } = request.voice;
    try {
      const client = await this.openai.connect();
      const response = await client.audio.speech.create(
        {
          model: this.model,
          voice: voiceId,
          input: request.text,
          response_format: request.format,
          ...(speed === undefined ? {} : { speed }),
          ...(this.steerable ? { stream_format: 'sse' as const, ...(instructions ? { instructions } : {}) } : {}),
        },
        { signal },
      );
      // Decided by what came back: a compatible server may answer bytes to a request for events.
      const audio = response.headers.get('content-type')?.startsWith('text/event-stream') ? await this.assemble(response) : Buffer.from(await response.arrayBuffer());
      return { audio, contentType: AUDIO_FORMAT_TYPES[request.format] };
    } catch (error) {
      throw this.openai.failure(error, signal);
    }
  }

  /** The audio of a speech stream: its deltas in order, complete only once `speech.audio.done` has arrived. */
  private async assemble(response: Response): Promise<Buffer> {
    const { Stream } = await import('openai/streaming');
    const pieces: Buffer[] = [];
    // The SDK's decoder, which also turns an `error` event into an APIError; it ends quietly when the request is aborted.
    for await (const event of Stream.fromSSEResponse<SpeechStreamEvent>(response, new AbortController())) {
      if (event.type === 'speech.audio.delta') pieces.push(Buffer.from(event.audio, 'base64'));
      else if (event.type === 'speech.audio.done') return Buffer.concat(pieces);
    }
    throw new SpeechProviderError('failed', this.name, `${this.name} ended its speech stream before speech.audio.done`);
  }
}
