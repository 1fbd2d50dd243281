import { Injectable, Logger } from '@nestjs/common';
import { PROBLEM_TYPE_BASE } from '#chorus/core';
import { GenerationError, ProviderRegistry, type ChatMessage, type ChatUsage, type GenerationEvent, type ModelPolicy, type ModelRef } from '#chorus/providers';
import { QuotaService, type ChatCharge, type ChatEstimate } from '#chorus/usage';
import { ContextBuilder } from './context-builder.js';
import type { MessageStatus } from './conversation.entity.js';
import { ReplyCheckpoints } from './reply-checkpoints.js';
import { ReplyMetrics } from './reply-metrics.js';
import type { LiveReply, ReplyEvent } from './reply-stream-hub.js';

/** What a turn generates with, and what it is expected to cost. */
export interface TurnPlan {
  readonly policy: ModelPolicy;
  /** What the model is sent: the system prompt and what fits of the conversation. */
  readonly messages: ChatMessage[];
  /** Estimated (the provider's usage settles the exact count). */
  readonly promptTokens: number;
  /** The prompt plus the whole reply budget, reserved before generating. */
  readonly estimate: ChatEstimate;
}

/** How a generation ended: what its turn settles. */
export interface TurnOutcome {
  readonly text: string;
  readonly status: MessageStatus;
  readonly finishReason: string;
  readonly errorCode: string | null;
  readonly servedBy: ModelRef;
  /** As the provider reported; when it reported nothing, the tokens of what was streamed. */
  readonly billed: ChatUsage;
  readonly firstTokenMs: number | null;
}

/** What a surface does around the generation of one turn. */
export interface TurnHooks {
  /** The stored reply's id, whose text is checkpointed while it streams (null when the turn stores no message). */
  readonly messageId: string | null;
  /** Saves and bills the outcome; answers the events that end the reply's stream. */
  readonly settle: (outcome: TurnOutcome) => Promise<Array<Pick<ReplyEvent, 'type' | 'data'>>>;
}

/**
 * One chat turn, whichever API asked for it: the context and its estimate, the provider request
 * opened while the turn is stored and reserved, the generation streamed into a live reply, then
 * the settlement. `/api/v1` stores the turn in a conversation; `/openai/v1` may store nothing but
 * its usage: they differ only in the hooks they give.
 */
@Injectable()
export class ChatTurns {
  private readonly logger = new Logger('Replies');

  constructor(
    private readonly contexts: ContextBuilder,
    private readonly providers: ProviderRegistry,
    private readonly quota: QuotaService,
    private readonly metrics: ReplyMetrics,
    private readonly checkpoints: ReplyCheckpoints,
  ) {}

  /** What fits the primary model's window after `systemPrompt`, `history` ending with the message to answer. */
  plan(systemPrompt: string, history: readonly ChatMessage[], policy: ModelPolicy, options: { maxTokens?: number; temperature?: number } = {}): TurnPlan {
    const model = this.providers.model(policy.primary);
    const modelMax = model?.maxOutputTokens ?? 1024;
    const replyBudget = Math.min(options.maxTokens ?? policy.maxReplyTokens ?? modelMax, modelMax);
    const messages = this.contexts.build(systemPrompt, history, model?.contextWindow ?? 8192, replyBudget);
    const promptTokens = messages.reduce((sum, message) => sum + this.contexts.estimateMessage(message.content), 0);
    const costMicros = this.quota.costOf({ ...policy.primary, inputTokens: promptTokens, outputTokens: replyBudget });
    return {
      policy: { ...policy, maxReplyTokens: replyBudget, temperature: options.temperature ?? policy.temperature },
      messages,
      promptTokens,
      estimate: { tokens: promptTokens + replyBudget, costMicros },
    };
  }

  /**
   * Opens the provider request while `store` stores the turn and reserves its quota, so that the
   * time to first token does not wait for the database. When `store` fails (a quota refused it),
   * the request is aborted: its connection closes, and nothing is billed or stored.
   */
  async open<T>(plan: TurnPlan, abort: AbortController, store: () => Promise<T>): Promise<{ stored: T; generation: AsyncIterable<GenerationEvent> }> {
    const iterator = this.providers.generate(plan.policy, plan.messages, abort.signal)[Symbol.asyncIterator]();
    const first = iterator.next();
    // Read (and its failure handled) by the generation; unread when the store fails.
    first.catch(() => undefined);
    try {
      return { stored: await store(), generation: prefetched(first, iterator) };
    } catch (error) {
      this.close(abort, first, iterator);
      throw error;
    }
  }

  /** Stops a generation opened for nothing (a retried send): its connection closes, and its generator ends. */
  discard(abort: AbortController, generation: AsyncIterable<GenerationEvent>): void {
    abort.abort();
    void (async () => {
      for await (const _event of generation);
    })().catch(() => undefined);
  }

  /**
   * Streams the generation into `live`, then settles it. Every outcome ends the stream with a
   * final event: the settlement's, or an error when the settlement fails.
   */
  async run(live: LiveReply, plan: TurnPlan, generation: AsyncIterable<GenerationEvent>, hooks: TurnHooks): Promise<void> {
    const startedAt = performance.now();
    const state = { text: '', firstTokenMs: null as number | null, servedBy: plan.policy.primary };
    let usage: ChatUsage | null = null;
    let finishReason = 'stop';
    let status: MessageStatus = 'completed';
    let errorCode: string | null = null;
    const { messageId } = hooks;
    const checkpoint = () => ({ replyId: messageId!, text: state.text, ...state.servedBy, firstTokenMs: state.firstTokenMs });
    this.metrics.started();
    try {
      for await (const event of generation) {
        if (event.type === 'delta') {
          state.firstTokenMs ??= Math.round(performance.now() - startedAt);
          state.text += event.text;
          live.publish('reply.delta', { messageId, text: event.text });
          if (messageId) this.checkpoints.changed(messageId, checkpoint);
        } else {
          state.servedBy = event.servedBy;
          if (event.type === 'completed') {
            usage = event.usage;
            finishReason = event.finishReason;
            if (event.finishReason === 'cancelled') status = 'cancelled';
          }
        }
      }
    } catch (error) {
      status = 'failed';
      finishReason = 'error';
      errorCode = error instanceof GenerationError ? error.code : 'generation_failed';
      if (error instanceof GenerationError) {
        usage = error.usage;
        state.servedBy = error.servedBy ?? state.servedBy;
      }
      this.logger.warn(`Reply ${hooks.messageId ?? '(not stored)'} failed (${errorCode}): ${(error as Error).message}`);
    }

    const { text, servedBy, firstTokenMs } = state;
    try {
      const billed = usage ?? this.unreportedUsage(text, plan.promptTokens);
      this.metrics.finished({ servedBy, status, firstTokenMs, startedAt, billed });
      // No checkpoint is taken after this: the one in flight, if any, lands first.
      if (messageId) await this.checkpoints.close(messageId);
      for (const event of await hooks.settle({ text, status, finishReason, errorCode, servedBy, billed, firstTokenMs })) live.publish(event.type, event.data);
    } catch (error) {
      this.logger.error(`Reply ${hooks.messageId ?? '(not stored)'} could not be saved: ${(error as Error).message}`);
      live.publish('error', replyProblem(hooks.messageId, 'reply_not_saved', 'The reply could not be saved.', text.length));
    } finally {
      live.end();
    }
  }

  /** What an outcome is billed: the ledger's charge for `reservationId`. */
  charge(outcome: TurnOutcome, reservationId: string, userId: string, stored: { messageId: string; conversationId: string } | undefined): ChatCharge {
    return {
      reservationId,
      messageId: stored?.messageId ?? null,
      conversationId: stored?.conversationId ?? null,
      userId,
      countsAsMessage: outcome.status !== 'failed' || outcome.text.length > 0,
      inputTokens: outcome.billed.inputTokens,
      outputTokens: outcome.billed.outputTokens,
      cachedInputTokens: outcome.billed.cachedInputTokens ?? 0,
      reasoningTokens: outcome.billed.reasoningTokens ?? 0,
      provider: outcome.servedBy.provider,
      model: outcome.servedBy.model,
    };
  }

  /**
   * What a reply is billed when the provider reported no usage: the prompt's tokens as estimated
   * (counting a whole conversation would hold the process for long) if any text came, and the
   * text's tokens, counted once it ended.
   */
  unreportedUsage(text: string, promptTokens: number): ChatUsage {
    return { inputTokens: text.length > 0 ? promptTokens : 0, outputTokens: this.contexts.countText(text) };
  }

  private close(abort: AbortController, first: Promise<IteratorResult<GenerationEvent>>, iterator: AsyncIterator<GenerationEvent>): void {
    abort.abort();
    // The generator's own clean-up (its circuit breaker slot) runs once its pending step settles.
    void first.finally(() => iterator.return?.()).catch(() => undefined);
  }
}

/** The error event of a reply that failed, as a problem. */
export function replyProblem(messageId: string | null, code: string, detail: string, partialLength: number): Record<string, unknown> {
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: 'Reply failed',
    status: 502,
    detail,
    code,
    messageId,
    partialLength,
  };
}

/** The iterator's events, its first step already under way. */
async function* prefetched<T>(first: Promise<IteratorResult<T>>, iterator: AsyncIterator<T>): AsyncIterable<T> {
  try {
    for (let next = await first; !next.done; next = await iterator.next()) yield next.value;
  } finally {
    await iterator.return?.();
  }
}
