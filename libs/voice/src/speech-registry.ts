import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type AppConfig, type SttKind, type SttProviderConfig, type TtsKind, type TtsProviderConfig } from '#chorus/core';
import { CircuitBreaker, type BreakerState } from '#chorus/providers';
import {
  SpeechProviderError,
  type AudioInput,
  type SpeechToText,
  type Synthesis,
  type SynthesisRequest,
  type TextToSpeech,
  type Transcription,
  type VoiceInfo,
} from './speech.types.js';
import { GeminiSpeechToText } from './stt/gemini-stt.js';
import { OpenAISpeechToText } from './stt/openai-stt.js';
import { PocketsphinxSpeechToText } from './stt/pocketsphinx-stt.js';
import { ElevenLabsTextToSpeech } from './tts/elevenlabs-tts.js';
import { EspeakTextToSpeech } from './tts/espeak-tts.js';
import { OpenAITextToSpeech } from './tts/openai-tts.js';

/** A configured speech instance as readiness reports show it. */
export interface SpeechProviderStatus {
  readonly direction: 'stt' | 'tts';
  readonly name: string;
  readonly kind: SttKind | TtsKind;
  readonly model: string;
  /** A local engine: installed; a remote one: configured. */
  readonly available: boolean;
  /** `open`: calls fail at once, without reaching the provider, until a trial call succeeds. */
  readonly breaker: BreakerState;
}

/** An instance with how its calls are guarded. */
interface Guarded<Engine> {
  readonly engine: Engine;
  readonly timeoutMs: number;
  readonly breaker: CircuitBreaker;
}

/**
 * The configured speech-to-text and text-to-speech instances. Every call is guarded: bounded by
 * the instance's timeout (and the caller's signal), and refused at once while its circuit is
 * open. Only the provider's own failures count against it: input it refused, and a caller who
 * cancelled, say nothing about its health.
 */
@Injectable()
export class SpeechRegistry {
  private readonly logger = new Logger('Voice');
  private readonly speechToText = new Map<string, Guarded<SpeechToText>>();
  private readonly textToSpeech = new Map<string, Guarded<TextToSpeech>>();

  constructor(@InjectConfig() private readonly config: AppConfig) {
    for (const instance of config.voice.stt) this.speechToText.set(instance.name, this.guard(instance, createSpeechToText(instance)));
    for (const instance of config.voice.tts) this.textToSpeech.set(instance.name, this.guard(instance, createTextToSpeech(instance)));
  }

  /** The instance `name` names (omitted: STT_DEFAULT); unknown: `unavailable`. */
  stt(name?: string): SpeechToText {
    return this.sttSlot(name).engine;
  }

  /** The instance `name` names (omitted: TTS_DEFAULT); unknown: `unavailable`. */
  tts(name?: string): TextToSpeech {
    return this.ttsSlot(name).engine;
  }

  /** The text spoken in `audio`, by `providerName` (omitted: the default); rejects with SpeechProviderError. */
  async transcribe(audio: AudioInput, providerName?: string, signal?: AbortSignal): Promise<Transcription> {
    const slot = this.sttSlot(providerName);
    return this.call(slot, signal, (bounded) => slot.engine.transcribe(audio, bounded));
  }

  /** The text spoken by `providerName` (omitted: the default), in one of its formats; rejects with SpeechProviderError. */
  async synthesize(request: SynthesisRequest, providerName?: string, signal?: AbortSignal): Promise<Synthesis> {
    const slot = this.ttsSlot(providerName);
    if (!slot.engine.formats.includes(request.format)) {
      throw new SpeechProviderError('rejected', slot.engine.name, `${slot.engine.name} speaks ${slot.engine.formats.join(', ')}, not ${request.format}`);
    }
    return this.call(slot, signal, (bounded) => slot.engine.synthesize(request, bounded));
  }

  /** The voices of every available text-to-speech instance; one that cannot answer now is left out (and logged). */
  async voices(signal?: AbortSignal): Promise<VoiceInfo[]> {
    const lists = await Promise.all(
      [...this.textToSpeech.values()].map(async (slot) => {
        if (!(await slot.engine.available())) return [];
        try {
          return await this.call(slot, signal, (bounded) => slot.engine.voices(bounded));
        } catch (error) {
          this.logger.warn(`The voices of ${slot.engine.name} are left out: ${(error as Error).message}`);
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** Every configured instance: whether it can be used here, and its circuit's state. */
  async status(): Promise<SpeechProviderStatus[]> {
    const describe = async (direction: 'stt' | 'tts', { engine, breaker }: Guarded<SpeechToText | TextToSpeech>): Promise<SpeechProviderStatus> => ({
      direction,
      name: engine.name,
      kind: engine.kind,
      model: engine.model,
      available: await engine.available(),
      breaker: breaker.state,
    });
    return Promise.all([
      ...[...this.speechToText.values()].map((slot) => describe('stt', slot)),
      ...[...this.textToSpeech.values()].map((slot) => describe('tts', slot)),
    ]);
  }

  private guard<Engine extends SpeechToText | TextToSpeech>(instance: SttProviderConfig | TtsProviderConfig, engine: Engine): Guarded<Engine> {
    const breaker = new CircuitBreaker({
      threshold: instance.breakerThreshold,
      cooldownMs: instance.breakerCooldownMs,
      onStateChange: (state) => this.logger[state === 'open' ? 'warn' : 'log'](`Speech provider ${instance.name}: circuit ${state.replace('_', '-')}`),
    });
    return { engine, timeoutMs: instance.timeoutMs, breaker };
  }

  private sttSlot(name = this.config.voice.defaultStt): Guarded<SpeechToText> {
    return this.slot(this.speechToText, name, 'speech-to-text');
  }

  private ttsSlot(name = this.config.voice.defaultTts): Guarded<TextToSpeech> {
    return this.slot(this.textToSpeech, name, 'text-to-speech');
  }

  private slot<Engine>(slots: ReadonlyMap<string, Guarded<Engine>>, name: string, direction: string): Guarded<Engine> {
    const slot = slots.get(name);
    if (!slot) throw new SpeechProviderError('unavailable', name, `No ${direction} provider is named "${name}" (configured: ${[...slots.keys()].join(', ')})`);
    return slot;
  }

  /** One guarded call: refused while the circuit is open, bounded by the timeout and the caller's signal, its outcome told to the breaker. */
  private async call<T>(slot: Guarded<SpeechToText | TextToSpeech>, caller: AbortSignal | undefined, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const name = slot.engine.name;
    await slot.engine.prepare?.();
    if (!slot.breaker.tryAcquire()) {
      throw new SpeechProviderError('failed', name, `${name} is failing: its circuit is open after ${slot.breaker.consecutiveFailures} failures in a row`);
    }
    const timeout = slot.timeoutMs > 0 ? AbortSignal.timeout(slot.timeoutMs) : undefined;
    const signals = [timeout, caller].filter((signal) => signal !== undefined);
    try {
      const result = await task(signals.length > 0 ? AbortSignal.any(signals) : new AbortController().signal);
      slot.breaker.success();
      return result;
    } catch (error) {
      // A cancelled call, refused input, a missing engine: nothing learnt about the provider's health.
      const failure =
        timeout?.aborted && !caller?.aborted
          ? new SpeechProviderError('failed', name, `${name} did not answer within ${slot.timeoutMs} ms`)
          : error instanceof SpeechProviderError
            ? error
            : new SpeechProviderError('failed', name, `${name} failed: ${(error as Error).message}`);
      if (failure.reason === 'failed' && !caller?.aborted) slot.breaker.failure();
      else slot.breaker.release();
      throw failure;
    }
  }
}

function createSpeechToText(instance: SttProviderConfig): SpeechToText {
  switch (instance.kind) {
    case 'openai':
      return new OpenAISpeechToText(instance);
    case 'gemini':
      return new GeminiSpeechToText(instance);
    case 'pocketsphinx':
      return new PocketsphinxSpeechToText(instance);
  }
}

function createTextToSpeech(instance: TtsProviderConfig): TextToSpeech {
  switch (instance.kind) {
    case 'openai':
      return new OpenAITextToSpeech(instance);
    case 'elevenlabs':
      return new ElevenLabsTextToSpeech(instance);
    case 'espeak-ng':
      return new EspeakTextToSpeech(instance);
  }
}
