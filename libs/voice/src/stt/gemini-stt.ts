import type { GenerateContentResponse, GoogleGenAI } from '@google/genai';
import type { SttProviderConfig } from '#chorus/core';
import { keyedClient } from '../load-once.js';
import { SpeechProviderError, speechErrorForAbort, speechErrorForStatus, speechErrorForTransport, type AudioInput, type SpeechToText, type Transcription } from '../speech.types.js';

/** What the model is asked with the audio. */
export const TRANSCRIPTION_INSTRUCTION = 'Transcribe this audio verbatim; answer with the transcript only.';

/** The SDK, once imported: its error class tells an answered failure apart. */
let sdk: typeof import('@google/genai') | undefined;

/**
 * Transcription by a Gemini model over `@google/genai`: the audio goes inline (base64, with its
 * type) next to an instruction to transcribe it, and the model's text is the transcript.
 */
export class GeminiSpeechToText implements SpeechToText {
  readonly kind = 'gemini' as const;
  readonly name: string;
  readonly model: string;
  private readonly connect = keyedClient(() => this.config, async (): Promise<GoogleGenAI> => {
    sdk = await import('@google/genai');
    return new sdk.GoogleGenAI({
      apiKey: this.config.apiKey,
      vertexai: false,
      // The runtime's fetch, given explicitly: otherwise the SDK reaches for undici's global
      // dispatcher through a private symbol, which sandboxed realms (Jest's VM among them) lack.
      httpOptions: { ...(this.config.baseUrl ? { baseUrl: this.config.baseUrl } : {}), fetch: (input, init) => fetch(input, init) },
    });
  });

  constructor(private readonly config: SttProviderConfig) {
    this.name = config.name;
    this.model = config.model;
  }

  available(): Promise<boolean> {
    return Promise.resolve(Boolean(this.config.apiKey));
  }

  async prepare(): Promise<void> {
    await this.connect();
  }

  async transcribe(audio: AudioInput, signal: AbortSignal): Promise<Transcription> {
    try {
      const response = await (
        await this.connect()
      ).models.generateContent({
        model: this.model,
        contents: [{ role: 'user', parts: [{ inlineData: { mimeType: audio.contentType, data: audio.data.toString('base64') } }, { text: TRANSCRIPTION_INSTRUCTION }] }],
        config: { abortSignal: signal },
      });
      return { text: transcriptOf(this.name, response), provider: this.name, model: this.model };
    } catch (error) {
      throw this.failure(error, signal);
    }
  }

  private failure(error: unknown, signal: AbortSignal): SpeechProviderError {
    if (signal.aborted) return speechErrorForAbort(this.name, signal);
    if (error instanceof SpeechProviderError) return error;
    if (sdk && error instanceof sdk.ApiError) {
      const message = messageOf(error.message);
      // Google answers a wrong key with 400 INVALID_ARGUMENT: the credentials' fault, not the audio's.
      if (error.status === 400 && /API key not valid|API_KEY_INVALID/.test(error.message)) {
        return new SpeechProviderError('failed', this.name, `${this.name} refused its API key: ${message}`, error.status);
      }
      return speechErrorForStatus(this.name, error.status, message);
    }
    return speechErrorForTransport(this.name, error);
  }
}

/** The model's text, without thought summaries; a prompt blocked for its content is refused input. */
function transcriptOf(provider: string, response: GenerateContentResponse): string {
  const blocked = response.promptFeedback?.blockReason;
  if (blocked) throw new SpeechProviderError('rejected', provider, `Gemini blocked the audio (${blocked})`);
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('')
    .trim();
}

/** The SDK puts the response body in the message: Google's `{ error: { message } }`. */
function messageOf(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : text;
  } catch {
    return text;
  }
}
