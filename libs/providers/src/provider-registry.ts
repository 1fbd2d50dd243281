import { Injectable, Logger, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { InjectConfig, MetricsService, type AppConfig, type ModelConfig, type ProviderConfig } from '#chorus/core';
import {
  ProviderError,
  type ChatMessage,
  type ChatProvider,
  type ChatTool,
  type ChatToolCall,
  type ChatUsage,
  type FinishReason,
  type ModelPolicy,
  type ModelRef,
  type ProviderKind,
} from './chat-provider.js';
import { GeminiProvider } from './gemini.provider.js';
import { OpenAIProvider } from './openai.provider.js';
import { CircuitBreaker, StallError, backoffDelay, sleep, withIdleTimeout, type BreakerState } from './resilience.js';
import { SimulatedProvider } from './simulated.provider.js';

/** What a generation produces, in order: `started` once the first output is on its way, deltas and tool calls, then `completed`. */
export type GenerationEvent =
  | { readonly type: 'started'; readonly servedBy: ModelRef }
  | { readonly type: 'delta'; readonly text: string }
  /** The model called a tool: the turn runs it and may generate again with its result. */
  | { readonly type: 'tool_call'; readonly call: ChatToolCall }
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

/** A configured provider as GET /providers and the health check show it. */
export interface ProviderStatus {
  readonly name: string;
  readonly kind: ProviderKind;
  /** `open`: the provider is skipped (its models fall back) until a trial call succeeds. */
  readonly breaker: BreakerState;
  readonly models: readonly ModelConfig[];
}

/** The wait between two attempts at one provider: exponential from `baseMs`, capped, jittered. */
export const RETRY_BACKOFF = { baseMs: 200, maxMs: 2_000 } as const;

/** chorus_provider_circuit_state's values. */
const CIRCUIT_STATE_VALUES: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** A provider that asks for a longer pause (Retry-After) is not retried: the policy's next model is tried at once. */
export const RETRY_AFTER_LIMIT_MS = 5_000;

interface ProviderSlot {
  readonly config: ProviderConfig;
  readonly provider: ChatProvider;
  readonly breaker: CircuitBreaker;
}

interface GenerationRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxOutputTokens: number;
  readonly tools?: readonly ChatTool[];
}

/** What a generation may offer the model beyond the conversation. */
export interface GenerationOptions {
  /** Functions the model may call: a call arrives as a `tool_call` event and completes the generation with `tool_calls`. */
  readonly tools?: readonly ChatTool[];
}

/** How one attempt at a provider ended, when it did not end the generation. */
type AttemptOutcome = { readonly done: true } | { readonly done: false; readonly error: ProviderError };

/**
 * The configured AI backends behind one interface. Each provider sits behind a timeout (for the
 * first token and between chunks), retries with backoff while nothing has been streamed, and a
 * circuit breaker; a generation falls back along the persona's model policy.
 */
@Injectable()
export class ProviderRegistry {
  private readonly logger = new Logger('Providers');
  private readonly providers = new Map<string, ProviderSlot>();
  private readonly errors: Counter<'provider' | 'code'> | undefined;

  /** `metrics` is absent only where a test builds the registry by hand. */
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @Optional() metrics?: MetricsService,
  ) {
    for (const provider of config.ai.providers) {
      this.providers.set(provider.name, {
        config: provider,
        provider: this.createProvider(provider),
        breaker: new CircuitBreaker({
          // The simulator fails only when asked to (its `-fail` models): that says nothing about its health.
          threshold: provider.kind === 'simulated' ? 0 : provider.breakerThreshold,
          cooldownMs: provider.breakerCooldownMs,
          onStateChange: (state) => {
            const log = state === 'open' ? 'warn' : 'log';
            this.logger[log](`Provider ${provider.name}: circuit ${state.replace('_', '-')}`);
          },
        }),
      });
    }
    this.errors = metrics?.counter({
      name: 'chorus_provider_errors_total',
      help: 'Failed provider calls (before the first token, or mid-stream), by provider and error code; cancellations are not errors.',
      labelNames: ['provider', 'code'],
    });
    const circuits = metrics?.gauge({
      name: 'chorus_provider_circuit_state',
      help: 'Circuit breaker state by provider: 0 closed, 1 half-open, 2 open (skipped until a trial call succeeds).',
      labelNames: ['provider'],
      collect: () => {
        for (const { config: provider, breaker } of this.providers.values()) circuits!.set({ provider: provider.name }, CIRCUIT_STATE_VALUES[breaker.state]);
      },
    });
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

  /** The adapter of a configured provider (e.g. to list the models its backend offers). */
  provider(name: string): ChatProvider | undefined {
    return this.providers.get(name)?.provider;
  }

  /** Every configured provider: its kind, its models with their prices, and its circuit breaker's state. */
  status(): ProviderStatus[] {
    return [...this.providers.values()].map(({ config, breaker }) => ({
      name: config.name,
      kind: config.kind,
      breaker: breaker.state,
      models: config.models.map((model) => ({ ...model })),
    }));
  }

  /**
   * Streams a reply along the policy: the primary model, then each fallback, moving on only
   * while nothing has been streamed (no token, no tool call). A provider's retryable failures are
   * retried (up to its `maxRetries`, with backoff) before moving on; a provider whose circuit is
   * open is skipped, and so is a model without vision when the messages carry images (callers
   * refuse those for the primary before storing anything). Aborting `signal` ends the stream with
   * a `completed` event whose finish reason is `cancelled`.
   */
  async *generate(
    policy: ModelPolicy,
    messages: readonly ChatMessage[],
    signal: AbortSignal,
    options: GenerationOptions = {},
  ): AsyncIterable<GenerationEvent> {
    const candidates = [policy.primary, ...policy.fallbacks];
    const withImages = messages.some((message) => message.images?.length);
    let lastError: unknown;
    for (const candidate of candidates) {
      const slot = this.providers.get(candidate.provider);
      const model = this.model(candidate);
      if (!slot || !model) {
        lastError = new ProviderError('bad_request', `Unknown model ${candidate.provider}/${candidate.model}`, true);
        continue;
      }
      if (withImages && !model.vision) {
        lastError = new ProviderError('bad_request', `Model ${candidate.provider}/${candidate.model} cannot read images`, true);
        this.logger.warn(`${candidate.provider}/${candidate.model} skipped: the messages carry images and it cannot read them`);
        continue;
      }
      const request: GenerationRequest = {
        model: candidate.model,
        messages,
        temperature: policy.temperature,
        maxOutputTokens: Math.min(policy.maxReplyTokens ?? model.maxOutputTokens, model.maxOutputTokens),
        tools: options.tools,
      };
      for (let retry = 0; ; retry += 1) {
        if (signal.aborted) {
          yield* cancelled(candidate, null);
          return;
        }
        if (!slot.breaker.tryAcquire()) {
          lastError = new ProviderError('circuit_open', `The circuit of provider ${candidate.provider} is open`, true);
          this.logger.warn(`${candidate.provider}/${candidate.model} skipped: its circuit is open`);
          break;
        }
        const outcome = yield* this.attempt(slot, candidate, request, signal);
        if (outcome.done) return;
        lastError = outcome.error;
        const delay = retryDelay(outcome.error, retry, slot.config.maxRetries);
        this.logger.warn(
          `${candidate.provider}/${candidate.model} failed before its first output (${outcome.error.code}): ${outcome.error.message}` +
            (delay === undefined ? '' : `; retrying in ${delay} ms`),
        );
        if (delay === undefined) break;
        if (!(await sleep(delay, signal))) {
          yield* cancelled(candidate, null);
          return;
        }
      }
    }
    throw new GenerationError('providers_unavailable', `No model of the policy could answer: ${(lastError as Error)?.message}`, undefined, null, false);
  }

  /**
   * One call to one provider. Ends the generation (completed, cancelled, or failed mid-stream),
   * or reports a failure before the first token so that the caller may retry or fall back.
   */
  private async *attempt(
    slot: ProviderSlot,
    candidate: ModelRef,
    request: GenerationRequest,
    signal: AbortSignal,
  ): AsyncGenerator<GenerationEvent, AttemptOutcome> {
    // Aborted on a stall, and whenever the attempt ends, so the upstream connection never outlives it.
    const connection = new AbortController();
    let started = false;
    let usage: ChatUsage | null = null;
    let settled = false;
    const settle = (result: 'success' | 'failure' | 'neutral') => {
      settled = true;
      if (result === 'success') slot.breaker.success();
      else if (result === 'failure') slot.breaker.failure();
      else slot.breaker.release();
    };
    try {
      const chunks = withIdleTimeout(slot.provider.stream({ ...request, signal: AbortSignal.any([signal, connection.signal]) }), {
        timeoutMs: slot.config.timeoutMs,
        signal,
        onStall: () => connection.abort(),
      });
      for await (const chunk of chunks) {
        if (chunk.type === 'delta' || chunk.type === 'tool_call') {
          if (!started) {
            started = true;
            yield { type: 'started', servedBy: candidate };
          }
          yield chunk;
        } else if (chunk.type === 'usage') {
          usage = chunk.usage;
        } else {
          settle('success');
          if (!started) yield { type: 'started', servedBy: candidate };
          yield { type: 'completed', servedBy: candidate, usage, finishReason: signal.aborted ? 'cancelled' : chunk.reason };
          return { done: true };
        }
      }
      // Cancelled (tokens that arrived show the provider was working), or an adapter that ended without saying why.
      settle(started || !signal.aborted ? 'success' : 'neutral');
      if (!started) yield { type: 'started', servedBy: candidate };
      yield { type: 'completed', servedBy: candidate, usage, finishReason: signal.aborted ? 'cancelled' : 'stop' };
      return { done: true };
    } catch (error) {
      if (signal.aborted) {
        // Whatever the adapter threw on its way out, a cancellation is never the provider's failure.
        settle(started ? 'success' : 'neutral');
        yield* cancelled(candidate, usage, !started);
        return { done: true };
      }
      const failure = toProviderError(error);
      this.errors?.inc({ provider: candidate.provider, code: failure.code });
      // A request the provider refused says nothing about its health.
      settle(failure.code === 'bad_request' ? 'neutral' : 'failure');
      if (started) {
        this.logger.warn(`${candidate.provider}/${candidate.model} failed mid-stream (${failure.code}): ${failure.message}`);
        throw new GenerationError('provider_failed_mid_stream', failure.message, candidate, usage, true);
      }
      return { done: false, error: failure };
    } finally {
      // The consumer may leave at any yield: the trial slot of a half-open circuit must not stay taken.
      if (!settled) slot.breaker.release();
      connection.abort();
    }
  }

  private createProvider(config: ProviderConfig): ChatProvider {
    try {
      switch (config.kind) {
        case 'openai':
          return new OpenAIProvider(config);
        case 'gemini':
          return new GeminiProvider(config);
        case 'simulated':
          return new SimulatedProvider(
            config.name,
            config.models.map((model) => model.id),
            this.config.ai.simulated,
          );
      }
    } catch (error) {
      throw new Error(`Provider ${config.name} (${config.kind}) cannot be set up: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A caller's cancellation: the reply ends as it is, with whatever usage the provider reported. */
async function* cancelled(servedBy: ModelRef, usage: ChatUsage | null, announce = true): AsyncGenerator<GenerationEvent> {
  if (announce) yield { type: 'started', servedBy };
  yield { type: 'completed', servedBy, usage, finishReason: 'cancelled' };
}

/** The pause before retrying a failed attempt, or undefined when it must not be retried. */
function retryDelay(error: ProviderError, retry: number, maxRetries: number): number | undefined {
  if (!error.retryable || retry >= maxRetries) return undefined;
  const delay = Math.max(backoffDelay(retry, RETRY_BACKOFF), error.retryAfterMs ?? 0);
  return delay > RETRY_AFTER_LIMIT_MS ? undefined : delay;
}

function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof StallError) return new ProviderError('timeout', error.message, true);
  return new ProviderError('unknown', error instanceof Error ? error.message : String(error), false);
}
