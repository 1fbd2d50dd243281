import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type AppConfig, type ModelConfig } from '#chorus/core';
import {
  ProviderError,
  type ChatMessage,
  type ChatProvider,
  type ChatUsage,
  type FinishReason,
  type ModelPolicy,
  type ModelRef,
} from './chat-provider.js';
import { SimulatedProvider } from './simulated.provider.js';

/** What a generation produces, in order: `started` once the first token is on its way, deltas, then `completed`. */
export type GenerationEvent =
  | { readonly type: 'started'; readonly servedBy: ModelRef }
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'completed';
      readonly servedBy: ModelRef;
      /** As the provider reported it; null when it reported nothing (e.g. cancelled before its usage chunk). */
      readonly usage: ChatUsage | null;
      readonly finishReason: FinishReason;
    };

/** A generation that failed: before any token (every model tried), or mid-stream (`partial`). */
export class GenerationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly servedBy: ModelRef | undefined,
    readonly usage: ChatUsage | null,
    readonly partial: boolean,
  ) {
    super(message);
    this.name = 'GenerationError';
  }
}

/** The configured AI backends behind one interface, with fallback along a persona's model policy. */
@Injectable()
export class ProviderRegistry {
  private readonly logger = new Logger('Providers');
  private readonly providers = new Map<string, ChatProvider>();

  constructor(@InjectConfig() private readonly config: AppConfig) {
    for (const provider of config.ai.providers) {
      if (provider.kind === 'simulated') {
        this.providers.set(provider.name, new SimulatedProvider(provider.name, provider.models.map((model) => model.id), config.ai.simulated));
      } else {
        this.logger.error(`Provider ${provider.name}: the ${provider.kind} adapter is not available in this build`);
      }
    }
    if (config.ai.defaultModel.provider === 'simulated') {
      this.logger.warn('No AI provider is configured: replies are SIMULATED. Set OPENAI_API_KEY, GEMINI_API_KEY or PROVIDERS.');
    }
  }

  get defaultModel(): ModelRef {
    return this.config.ai.defaultModel;
  }

  /** The configured model, or undefined when the provider or model is unknown. */
  model(ref: ModelRef): ModelConfig | undefined {
    return this.config.ai.providers.find((provider) => provider.name === ref.provider)?.models.find((model) => model.id === ref.model);
  }

  /**
   * Streams a reply along the policy: the primary model, then each fallback, moving on only
   * while nothing has been streamed. Aborting `signal` ends the stream with a `completed`
   * event whose finish reason is `cancelled`.
   */
  async *generate(policy: ModelPolicy, messages: readonly ChatMessage[], signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const candidates = [policy.primary, ...policy.fallbacks];
    let lastError: unknown;
    for (const candidate of candidates) {
      const provider = this.providers.get(candidate.provider);
      const model = this.model(candidate);
      if (!provider || !model) {
        lastError = new ProviderError('bad_request', `Unknown model ${candidate.provider}/${candidate.model}`, true);
        continue;
      }
      let started = false;
      let usage: ChatUsage | null = null;
      try {
        for await (const chunk of provider.stream({
          model: candidate.model,
          messages,
          temperature: policy.temperature,
          maxOutputTokens: Math.min(policy.maxReplyTokens ?? model.maxOutputTokens, model.maxOutputTokens),
          signal,
        })) {
          if (chunk.type === 'delta') {
            if (!started) {
              started = true;
              yield { type: 'started', servedBy: candidate };
            }
            yield chunk;
          } else if (chunk.type === 'usage') {
            usage = chunk.usage;
          } else {
            if (!started) yield { type: 'started', servedBy: candidate };
            yield { type: 'completed', servedBy: candidate, usage, finishReason: signal.aborted ? 'cancelled' : chunk.reason };
            return;
          }
        }
        if (!started) yield { type: 'started', servedBy: candidate };
        yield { type: 'completed', servedBy: candidate, usage, finishReason: signal.aborted ? 'cancelled' : 'stop' };
        return;
      } catch (error) {
        if (started) {
          throw new GenerationError('provider_failed_mid_stream', (error as Error).message, candidate, usage, true);
        }
        lastError = error;
        this.logger.warn(`${candidate.provider}/${candidate.model} failed before its first token: ${(error as Error).message}`);
      }
    }
    throw new GenerationError('providers_unavailable', `No model of the policy could answer: ${(lastError as Error)?.message}`, undefined, null, false);
  }
}
