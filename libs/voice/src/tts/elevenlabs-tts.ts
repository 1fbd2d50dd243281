import type { ElevenLabs, ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import type { TtsProviderConfig } from '#chorus/core';
import { keyedClient } from '../load-once.js';
import {
  AUDIO_FORMAT_TYPES,
  SpeechProviderError,
  speechErrorForAbort,
  speechErrorForStatus,
  speechErrorForTransport,
  type AudioFormat,
  type Synthesis,
  type SynthesisRequest,
  type TextToSpeech,
  type VoiceInfo,
} from '../speech.types.js';

/**
 * The `output_format` each of our formats is asked as (a query parameter on the wire). Every plan
 * has these; 44.1 kHz WAV, and MP3 above 128 kb/s, take a paid one. Opus comes in an Ogg container.
 */
const OUTPUT_FORMATS: Record<AudioFormat, ElevenLabs.TextToSpeechConvertRequestOutputFormat> = {
  mp3: 'mp3_44100_128',
  opus: 'opus_48000_64',
  wav: 'wav_24000',
};

/** How long the voices of the account are kept: they change when someone adds one, rarely. */
const VOICES_TTL_MS = 10 * 60_000;

/** The SDK, once imported: its error classes tell failures apart. */
let sdk: typeof import('@elevenlabs/elevenlabs-js') | undefined;

/**
 * ElevenLabs over its SDK: `POST /v1/text-to-speech/{voice_id}` with the voice's stability and
 * speed, and the voices of the account from `GET /v1/voices` (cached). The SDK's retries are
 * off: one attempt, which the registry's breaker judges.
 */
export class ElevenLabsTextToSpeech implements TextToSpeech {
  readonly kind = 'elevenlabs' as const;
  readonly formats: readonly AudioFormat[] = ['mp3', 'opus', 'wav'];
  readonly name: string;
  readonly model: string;
  readonly defaultVoice: string;
  private readonly connect = keyedClient(() => this.config, async (): Promise<ElevenLabsClient> => {
    sdk = await import('@elevenlabs/elevenlabs-js');
    const { apiKey, baseUrl, timeoutMs } = this.config;
    return new sdk.ElevenLabsClient({ apiKey, ...(baseUrl ? { baseUrl } : {}), maxRetries: 0, ...(timeoutMs > 0 ? { timeoutInSeconds: timeoutMs / 1000 } : {}) });
  });
  private cachedVoices?: { readonly voices: VoiceInfo[]; readonly until: number };

  constructor(private readonly config: TtsProviderConfig) {
    this.name = config.name;
    this.model = config.model;
    this.defaultVoice = config.defaultVoice;
  }

  available(): Promise<boolean> {
    return Promise.resolve(Boolean(this.config.apiKey));
  }

  async prepare(): Promise<void> {
    await this.connect();
  }

  async voices(signal: AbortSignal): Promise<VoiceInfo[]> {
    if (this.cachedVoices && this.cachedVoices.until > Date.now()) return this.cachedVoices.voices;
    try {
      const { voices } = await (await this.connect()).voices.getAll({}, { abortSignal: signal });
      const listed = voices.map((voice) => ({
        provider: this.name,
        voiceId: voice.voiceId,
        name: voice.name ?? voice.voiceId,
        ...languageOf(voice),
      }));
      this.cachedVoices = { voices: listed, until: Date.now() + VOICES_TTL_MS };
      return listed;
    } catch (error) {
      throw this.failure(error, signal);
    }
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<Synthesis> {
    const { voiceId, stability, speed } = request.voice;
    const settings = { ...(stability === undefined ? {} : { stability }), ...(speed === undefined ? {} : { speed }) };
    try {
      const audio = await (await this.connect()).textToSpeech.convert(
        voiceId,
        { text: request.text, modelId: this.model, outputFormat: OUTPUT_FORMATS[request.format], ...(Object.keys(settings).length > 0 ? { voiceSettings: settings } : {}) },
        { abortSignal: signal },
      );
      return { audio: Buffer.from(await new Response(audio).arrayBuffer()), contentType: AUDIO_FORMAT_TYPES[request.format] };
    } catch (error) {
      throw this.failure(error, signal);
    }
  }

  private failure(error: unknown, signal: AbortSignal): SpeechProviderError {
    if (signal.aborted) return speechErrorForAbort(this.name, signal);
    if (error instanceof SpeechProviderError) return error;
    if (sdk && error instanceof sdk.ElevenLabsError) {
      // The SDK aborts its own timeout with the reason "timeout", which fetch rejects with as it is:
      // that comes out as an error caused by the string, not as ElevenLabsTimeoutError.
      if (error instanceof sdk.ElevenLabsTimeoutError || error.cause === 'timeout') {
        return new SpeechProviderError('failed', this.name, `${this.name} did not answer within ${this.config.timeoutMs} ms`);
      }
      // Without a status, the request never got an answer (the SDK reports fetch's failure so).
      if (error.statusCode === undefined) return speechErrorForTransport(this.name, error);
      return speechErrorForStatus(this.name, error.statusCode, detailOf(error.body) ?? error.message, error.rawResponse?.headers.get('retry-after'));
    }
    return new SpeechProviderError('failed', this.name, `${this.name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function languageOf(voice: ElevenLabs.Voice): { language?: string } {
  const language = voice.labels?.['language'] ?? voice.verifiedLanguages?.[0]?.language;
  return language ? { language } : {};
}

/** ElevenLabs' error body: `{ detail: { status, message } }`, or a validation error's `{ detail: [{ msg }] }`. */
function detailOf(body: unknown): string | undefined {
  const detail = (body as { detail?: unknown } | null | undefined)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((item) => (item as { msg?: unknown }).msg).filter((msg) => typeof msg === 'string').join('; ') || undefined;
  const message = (detail as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}
