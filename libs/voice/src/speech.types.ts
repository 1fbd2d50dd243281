import type { SttKind, TtsKind } from '#chorus/core';

/** Audio to transcribe: its bytes (validated as media: type by content, duration measured). */
export interface AudioInput {
  readonly data: Buffer;
  /** The type its bytes say (`audio/wav`, `audio/webm`, `audio/ogg`, `audio/mpeg`, `audio/mp4`). */
  readonly contentType: string;
  /** A name with the extension of its type (providers tell the format by it). */
  readonly filename: string;
  readonly durationMs: number;
}

export interface Transcription {
  readonly text: string;
  /** The instance and model that transcribed it (as the ledger records them). */
  readonly provider: string;
  readonly model: string;
}

/** A speech-to-text engine instance. */
export interface SpeechToText {
  readonly name: string;
  readonly kind: SttKind;
  readonly model: string;
  /** Whether it can be used here (a local engine: installed; a remote one: configured). */
  available(): Promise<boolean>;
  /**
   * Loads what its first call needs (an SDK) and rejects as a call would when it cannot be used;
   * the registry awaits it before a call's timeout starts, since a slow import is not the provider's.
   */
  prepare?(): Promise<void>;
  /** The text spoken in `audio`; rejects with SpeechProviderError. */
  transcribe(audio: AudioInput, signal: AbortSignal): Promise<Transcription>;
}

export const AUDIO_FORMATS = ['mp3', 'wav', 'opus'] as const;
/** The formats speech is synthesised in (each provider offers some of them). */
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

export const AUDIO_FORMAT_TYPES: Record<AudioFormat, string> = { mp3: 'audio/mpeg', wav: 'audio/wav', opus: 'audio/ogg' };

/** A persona's voice, resolved: the instance's defaults filled in. */
export interface VoiceSettings {
  readonly voiceId: string;
  readonly speed?: number;
  readonly stability?: number;
  readonly instructions?: string;
}

export interface SynthesisRequest {
  readonly text: string;
  readonly voice: VoiceSettings;
  /** One of the provider's `formats`. */
  readonly format: AudioFormat;
}

export interface Synthesis {
  readonly audio: Buffer;
  /** The type of `audio` (from AUDIO_FORMAT_TYPES). */
  readonly contentType: string;
}

/** A voice a provider offers, as `GET /voices` lists it. */
export interface VoiceInfo {
  readonly provider: string;
  readonly voiceId: string;
  readonly name: string;
  readonly language?: string;
}

/** A text-to-speech engine instance. */
export interface TextToSpeech {
  readonly name: string;
  readonly kind: TtsKind;
  readonly model: string;
  /** What it can produce, the preferred first. */
  readonly formats: readonly AudioFormat[];
  /** The voice used when a persona names none. */
  readonly defaultVoice: string;
  available(): Promise<boolean>;
  /**
   * Loads what its first call needs (an SDK) and rejects as a call would when it cannot be used;
   * the registry awaits it before a call's timeout starts, since a slow import is not the provider's.
   */
  prepare?(): Promise<void>;
  /** The voices it offers (a fixed list, or asked of the provider and cached). */
  voices(signal: AbortSignal): Promise<VoiceInfo[]>;
  /** The text spoken; rejects with SpeechProviderError. */
  synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<Synthesis>;
}

/**
 * Why a provider call failed, in terms the API answers with: `unavailable` (not installed or not
 * configured: 503), `rejected` (the provider refused the input: 422), `failed` (down, timed out,
 * rate limited, circuit open, or an error of its own: 502).
 */
export class SpeechProviderError extends Error {
  constructor(
    readonly reason: 'unavailable' | 'rejected' | 'failed',
    readonly provider: string,
    message: string,
    /** The provider's HTTP status, when it answered one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SpeechProviderError';
  }
}

/** Statuses by which a provider refuses the input itself (malformed, too large, of a type it cannot read): not a sign of its health. */
const INPUT_REFUSED = new Set([400, 413, 415, 422]);

/**
 * The SpeechProviderError for an HTTP status a provider answered: the input refused (`rejected`),
 * or the provider's own trouble (`failed`: credentials refused, rate limited, down...).
 * `retryAfter` is the provider's Retry-After header, when it sent one.
 */
export function speechErrorForStatus(provider: string, status: number, detail: string, retryAfter?: string | null): SpeechProviderError {
  if (INPUT_REFUSED.has(status)) return new SpeechProviderError('rejected', provider, detail, status);
  if (status === 401 || status === 403) {
    return new SpeechProviderError('failed', provider, `${provider} refused its credentials (HTTP ${status}): check its API key. ${detail}`, status);
  }
  if (status === 429) {
    return new SpeechProviderError('failed', provider, `${provider} is rate limiting (HTTP 429)${retryAfter ? `, retry after ${retryAfter} s` : ''}: ${detail}`, status);
  }
  return new SpeechProviderError('failed', provider, `${provider} answered HTTP ${status}: ${detail}`, status);
}

/** The SpeechProviderError for a call whose signal ended it: timed out, or cancelled by the caller. */
export function speechErrorForAbort(provider: string, signal: AbortSignal): SpeechProviderError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  return new SpeechProviderError('failed', provider, timedOut ? `${provider} did not answer in time` : `The call to ${provider} was cancelled`);
}

/** The SpeechProviderError for a provider that could not be reached (or broke off): the error's message and the reason underneath. */
export function speechErrorForTransport(provider: string, error: unknown): SpeechProviderError {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return new SpeechProviderError('failed', provider, `${provider} could not be reached: ${cause && !message.includes(cause) ? `${message}: ${cause}` : message}`);
}
