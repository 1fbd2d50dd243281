import type OpenAI from 'openai';
import type { SttProviderConfig, TtsProviderConfig } from '#chorus/core';
import { loadOnce } from './load-once.js';
import { SpeechProviderError, speechErrorForAbort, speechErrorForStatus, speechErrorForTransport } from './speech.types.js';

/** The SDK, once imported: its error classes tell failures apart. */
let sdk: typeof import('openai') | undefined;

/**
 * The `openai` SDK client of a speech instance (speech-to-text or text-to-speech): OpenAI itself,
 * or an OpenAI-compatible server named by its base URL (speaches, whisper.cpp's server,
 * Kokoro-FastAPI...). Made at first use, so that a process that never speaks never loads the SDK.
 */
export class OpenAISpeechClient {
  private readonly client = loadOnce(async () => {
    sdk = await import('openai');
    return new sdk.default({
      // Given explicitly, or the SDK would read OPENAI_API_KEY and OPENAI_BASE_URL itself (and insists on a key).
      apiKey: this.config.apiKey ?? 'unused',
      baseURL: this.config.baseUrl ?? 'https://api.openai.com/v1',
      // One attempt: the registry's breaker judges failures, and a retry would spend the caller's time.
      maxRetries: 0,
      timeout: this.config.timeoutMs > 0 ? this.config.timeoutMs : undefined,
    });
  });

  constructor(private readonly config: SttProviderConfig | TtsProviderConfig) {}

  /** A keyless server (speaches, whisper.cpp) is named by its base URL; OpenAI itself needs a key. */
  get configured(): boolean {
    return Boolean(this.config.apiKey || this.config.baseUrl);
  }

  connect(): Promise<OpenAI> {
    if (!this.configured) {
      return Promise.reject(new SpeechProviderError('unavailable', this.config.name, `${this.config.name} needs an apiKey (or the baseUrl of a server that needs none)`));
    }
    return this.client();
  }

  /** What went wrong, as the SpeechProviderError the registry and the API answer with. */
  failure(error: unknown, signal: AbortSignal): SpeechProviderError {
    const name = this.config.name;
    // First: an aborted stream ends quietly, and the adapter then reports it incomplete.
    if (signal.aborted) return speechErrorForAbort(name, signal);
    if (error instanceof SpeechProviderError) return error;
    if (sdk && error instanceof sdk.APIConnectionTimeoutError) return new SpeechProviderError('failed', name, `${name} did not answer within ${this.config.timeoutMs} ms`);
    if (sdk && error instanceof sdk.APIConnectionError) return speechErrorForTransport(name, error);
    if (sdk && error instanceof sdk.APIError && error.status !== undefined) {
      const detail = (error.error as { message?: unknown } | undefined)?.message;
      return speechErrorForStatus(name, error.status, typeof detail === 'string' ? detail : error.message, error.headers?.get('retry-after'));
    }
    // An error event inside a 200 stream, or a body that is not what it should be.
    return new SpeechProviderError('failed', name, `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
