import { Injectable, Logger } from '@nestjs/common';
import { PROBLEM_TYPE_BASE, ProblemException } from '#chorus/core';
import { MediaAttachments } from '#chorus/media';
import {
  GenerationError,
  ProviderRegistry,
  type ChatMessage,
  type ChatTool,
  type ChatToolCall,
  type ChatUsage,
  type GenerationEvent,
  type ModelPolicy,
  type ModelRef,
} from '#chorus/providers';
import { QuotaService, type ChatCharge, type ChatEstimate } from '#chorus/usage';
import { ContextBuilder, type ContextMessage } from './context-builder.js';
import type { MessageStatus } from './conversation.entity.js';
import { ConversationProblems } from './conversations.errors.js';
import { ReplyCheckpoints } from './reply-checkpoints.js';
import { ReplyMetrics } from './reply-metrics.js';
import type { LiveReply, ReplyEvent } from './reply-stream-hub.js';

/** A message of the conversation as a turn plans it: its images counted, and the id they are loaded by. */
export interface TurnMessage extends ContextMessage {
  /** The stored message's id, when it carries images (none: the message this turn stores). */
  readonly id?: string;
}

/** What a turn generates with, and what it is expected to cost. */
export interface TurnPlan {
  readonly policy: ModelPolicy;
  /** What the model is sent: the system prompt and what fits of the conversation (images not loaded yet). */
  readonly messages: ChatMessage[];
  /** Which of `messages` carry images, by index, with their stored message's id (none: the message the turn stores). */
  readonly images: ReadonlyArray<{ readonly index: number; readonly messageId?: string }>;
  /** Functions the model may call in its first round. */
  readonly tools?: readonly ChatTool[];
  /** Estimated, of one round (the provider's usage settles the exact count). */
  readonly promptTokens: number;
  /** The prompt (twice with tools: a call is answered in a second round) plus the whole reply budget, reserved before generating. */
  readonly estimate: ChatEstimate;
}

/** A turn's generation: its first round, and the round that answers its tool calls. */
export interface TurnGeneration {
  readonly events: AsyncIterable<GenerationEvent>;
  /**
   * By the model that served the first round (the reply names one model, billed at its prices), on
   * what it was sent plus `more`, offering no tools (so that it cannot loop).
   */
  readonly continueWith: (servedBy: ModelRef, more: readonly ChatMessage[], maxReplyTokens: number | undefined) => AsyncIterable<GenerationEvent>;
}

/** How a generation ended: what its turn settles. */
export interface TurnOutcome {
  readonly text: string;
  readonly status: MessageStatus;
  readonly finishReason: string;
  readonly errorCode: string | null;
  readonly servedBy: ModelRef;
  /** As the provider reported (every round's, summed); when it reported nothing, the tokens of what was streamed. */
  readonly billed: ChatUsage;
  readonly firstTokenMs: number | null;
}

/** What a surface does around the generation of one turn. */
export interface TurnHooks {
  /** The stored reply's id, whose text is checkpointed while it streams (null when the turn stores no message). */
  readonly messageId: string | null;
  /** Runs a tool the plan offered and the model called: its result, as the model is told it; undefined when there is no such tool. */
  readonly runTool?: (call: ChatToolCall) => Promise<string | undefined>;
  /** Told each piece of text as it streams (e.g. to speak it sentence by sentence). */
  readonly onText?: (text: string) => void;
  /** Awaited once the generation ended, before the settlement (e.g. the last sentences' speech, so that it precedes the final event). */
  readonly beforeSettle?: (outcome: Pick<TurnOutcome, 'status'>) => Promise<void>;
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
    private readonly media: MediaAttachments,
  ) {}

  /** What fits the primary model's window after `systemPrompt`, `history` ending with the message to answer. */
  plan(
    systemPrompt: string,
    history: readonly TurnMessage[],
    policy: ModelPolicy,
    options: { maxTokens?: number; temperature?: number; tools?: readonly ChatTool[] } = {},
  ): TurnPlan {
    const model = this.providers.model(policy.primary);
    const modelMax = model?.maxOutputTokens ?? 1024;
    const replyBudget = Math.min(options.maxTokens ?? policy.maxReplyTokens ?? modelMax, modelMax);
    // A model without vision reads the text alone: a message with images to it is refused, but older ones may carry some.
    const readable: readonly TurnMessage[] = model?.vision === false ? history.map(({ imageCount: _images, ...message }) => message) : history;
    const [system, ...kept] = this.contexts.build(systemPrompt, readable, model?.contextWindow ?? 8192, replyBudget);
    const tools = options.tools?.length ? options.tools : undefined;
    const promptTokens =
      kept.reduce((sum, message) => sum + this.contexts.estimateMessage(message.content, message.imageCount), this.contexts.estimateMessage(system.content)) +
      (tools ? this.contexts.estimate(JSON.stringify(tools)) : 0);
    // A tool's call is answered by a second round on the same prompt: both are reserved.
    const inputTokens = tools ? 2 * promptTokens : promptTokens;
    const costMicros = this.quota.costOf({ ...policy.primary, inputTokens, outputTokens: replyBudget });
    // No system prompt (a raw provider model's turn) is no system message, rather than an empty one.
    const leading = system.content.length > 0 ? [system] : [];
    return {
      policy: { ...policy, maxReplyTokens: replyBudget, temperature: options.temperature ?? policy.temperature },
      messages: [...leading, ...kept.map(({ id: _id, imageCount: _images, ...message }) => message)],
      images: kept.flatMap((message, index) => (message.imageCount ? [{ index: index + leading.length, messageId: message.id }] : [])),
      tools,
      promptTokens,
      estimate: { tokens: inputTokens + replyBudget, costMicros },
    };
  }

  /** 422 `model_not_multimodal` when the policy's primary model does not read images (fallbacks that do not are skipped for images). */
  assertReadsImages(policy: ModelPolicy): void {
    const { provider, model } = policy.primary;
    if (this.providers.model(policy.primary)?.vision === false) {
      throw new ProblemException(ConversationProblems.modelNotMultimodal, `The model ${provider}/${model} of this persona does not read images: send text alone.`, {
        extensions: { model: `${provider}/${model}` },
      });
    }
  }

  /**
   * Opens the provider request while `store` stores the turn and reserves its quota, so that the
   * time to first token does not wait for the database. When `store` fails (a quota refused it),
   * the request is aborted: its connection closes, and nothing is billed or stored.
   *
   * A plan with images is the exception: images are loaded by the id of their message, which the
   * message being sent (`storedMessageId`) has only once stored, so its request waits for the store.
   */
  async open<T>(
    plan: TurnPlan,
    abort: AbortController,
    store: () => Promise<T>,
    storedMessageId: (stored: T) => string | undefined = () => undefined,
  ): Promise<{ stored: T; generation: TurnGeneration }> {
    let sent: readonly ChatMessage[] = plan.messages;
    const request = (messages: readonly ChatMessage[]) => {
      sent = messages;
      return this.providers.generate(plan.policy, messages, abort.signal, { tools: plan.tools });
    };
    const continueWith: TurnGeneration['continueWith'] = (servedBy, more, maxReplyTokens) =>
      this.providers.generate({ primary: servedBy, fallbacks: [], temperature: plan.policy.temperature, maxReplyTokens }, [...sent, ...more], abort.signal);
    if (plan.images.length > 0) {
      const stored = await store();
      const { first, iterator } = started(this.withImages(plan, storedMessageId(stored), request));
      return { stored, generation: { events: prefetched(first, iterator), continueWith } };
    }
    const { first, iterator } = started(request(plan.messages));
    try {
      return { stored: await store(), generation: { events: prefetched(first, iterator), continueWith } };
    } catch (error) {
      this.close(abort, first, iterator);
      throw error;
    }
  }

  /** Stops a generation opened for nothing (a retried send): its connection closes, and its generator ends. */
  discard(abort: AbortController, generation: TurnGeneration): void {
    abort.abort();
    void (async () => {
      for await (const _event of generation.events);
    })().catch(() => undefined);
  }

  /**
   * Streams the generation into `live`, then settles it. Every outcome ends the stream with a
   * final event: the settlement's, or an error when the settlement fails.
   *
   * A tool the model calls is run as its call arrives (`hooks.runTool`); when the first round
   * ends for its calls (`tool_calls`), one more round, by the same model and offering no tools,
   * answers with their results, its text streamed into the same reply, within what is left of
   * the reply budget. The reply is billed what both rounds consumed.
   */
  async run(live: LiveReply, plan: TurnPlan, generation: TurnGeneration, hooks: TurnHooks): Promise<void> {
    const state: StreamState = { text: '', firstTokenMs: null, servedBy: plan.policy.primary, startedAt: performance.now() };
    /** What each round consumed; the one under way starts at `from` in the text, on a prompt of `promptTokens`. */
    const spent: ChatUsage[] = [];
    let round = { from: 0, promptTokens: plan.promptTokens };
    let finishReason: string;
    let status: MessageStatus = 'completed';
    let errorCode: string | null = null;
    this.metrics.started();
    try {
      let ended = await this.stream(generation.events, live, state, hooks, { offersTools: plan.tools !== undefined, continues: false });
      spent.push(ended.usage ?? this.unreportedUsage(state.text, round.promptTokens));
      if (ended.finishReason === 'tool_calls' && ended.calls.length > 0) {
        const more: ChatMessage[] = [
          { role: 'assistant', content: state.text, toolCalls: ended.calls.map(({ call }) => call) },
          ...ended.calls.map(({ call, result }) => ({ role: 'tool' as const, toolCallId: call.id, content: result })),
        ];
        round = { from: state.text.length, promptTokens: more.reduce((sum, message) => sum + this.contexts.estimateMessage(message.content), plan.promptTokens) };
        const budget = plan.policy.maxReplyTokens;
        const left = budget === undefined ? undefined : Math.max(budget - spent[0]!.outputTokens, 1);
        ended = await this.stream(generation.continueWith(state.servedBy, more, left), live, state, hooks, { offersTools: false, continues: true });
        spent.push(ended.usage ?? this.unreportedUsage(state.text.slice(round.from), round.promptTokens));
      }
      finishReason = ended.finishReason;
      if (finishReason === 'cancelled') status = 'cancelled';
    } catch (error) {
      status = 'failed';
      finishReason = 'error';
      errorCode = error instanceof GenerationError ? error.code : 'generation_failed';
      if (error instanceof GenerationError) state.servedBy = error.servedBy ?? state.servedBy;
      const reported = error instanceof GenerationError ? error.usage : null;
      spent.push(reported ?? this.unreportedUsage(state.text.slice(round.from), round.promptTokens));
      this.logger.warn(`Reply ${hooks.messageId ?? '(not stored)'} failed (${errorCode}): ${(error as Error).message}`);
    }

    const { text, servedBy, firstTokenMs, startedAt } = state;
    try {
      const billed = sumUsage(spent);
      this.metrics.finished({ servedBy, status, firstTokenMs, startedAt, billed });
      // No checkpoint is taken after this: the one in flight, if any, lands first.
      if (hooks.messageId) await this.checkpoints.close(hooks.messageId);
      await hooks.beforeSettle?.({ status });
      for (const event of await hooks.settle({ text, status, finishReason, errorCode, servedBy, billed, firstTokenMs })) live.publish(event.type, event.data);
    } catch (error) {
      this.logger.error(`Reply ${hooks.messageId ?? '(not stored)'} could not be saved: ${(error as Error).message}`);
      live.publish('error', replyProblem(hooks.messageId, 'reply_not_saved', 'The reply could not be saved.', text.length));
    } finally {
      live.end();
    }
  }

  /**
   * One round of the generation into `live`: its text appended to `state`, its tool calls run
   * (when it `offersTools`) as they arrive. A round that `continues` the reply is joined to its
   * text by a space, where neither has one.
   */
  private async stream(
    events: AsyncIterable<GenerationEvent>,
    live: LiveReply,
    state: StreamState,
    hooks: TurnHooks,
    round: { offersTools: boolean; continues: boolean },
  ): Promise<RoundEnd> {
    const { messageId } = hooks;
    const checkpoint = () => ({ replyId: messageId!, text: state.text, ...state.servedBy, firstTokenMs: state.firstTokenMs });
    const end: RoundEnd = { usage: null, finishReason: 'stop', calls: [] };
    let joined = !round.continues || state.text === '' || /\s$/.test(state.text);
    for await (const event of events) {
      if (event.type === 'delta') {
        const text = joined || /^\s/.test(event.text) ? event.text : ` ${event.text}`;
        joined = true;
        state.firstTokenMs ??= Math.round(performance.now() - state.startedAt);
        state.text += text;
        live.publish('reply.delta', { messageId, text });
        hooks.onText?.(text);
        // Deleted meanwhile (with its conversation or account): the provider call ends instead of generating for nobody.
        if (messageId) this.checkpoints.changed(messageId, checkpoint, () => live.abort.abort());
      } else if (event.type === 'tool_call') {
        if (round.offersTools) end.calls.push({ call: event.call, result: await this.runTool(event.call, hooks) });
      } else {
        state.servedBy = event.servedBy;
        if (event.type === 'completed') {
          end.usage = event.usage;
          end.finishReason = event.finishReason;
        }
      }
    }
    return end;
  }

  /** A tool's result for the model; a tool that failed (its media look-up, say) is told as such, and the reply goes on. */
  private async runTool(call: ChatToolCall, hooks: TurnHooks): Promise<string> {
    try {
      return (await hooks.runTool?.(call)) ?? `There is no tool named ${call.name}.`;
    } catch (error) {
      this.logger.warn(`Reply ${hooks.messageId ?? '(not stored)'}: the tool ${call.name} failed: ${(error as Error).message}`);
      return `The tool ${call.name} failed.`;
    }
  }

  /** The plan's messages with the images of those that carry some, loaded (by their message's id), then the request `generate` opens with them. */
  private async *withImages(
    plan: TurnPlan,
    storedMessageId: string | undefined,
    generate: (messages: readonly ChatMessage[]) => AsyncIterable<GenerationEvent>,
  ): AsyncIterable<GenerationEvent> {
    const idAt = new Map<number, string>();
    for (const { index, messageId = storedMessageId } of plan.images) if (messageId) idAt.set(index, messageId);
    const images = await this.media.imagesOf([...idAt.values()]);
    yield* generate(plan.messages.map((message, index) => (idAt.has(index) ? { ...message, images: images.get(idAt.get(index)!) ?? [] } : message)));
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

/** Where a reply's streaming stands, across its rounds. */
interface StreamState {
  text: string;
  firstTokenMs: number | null;
  servedBy: ModelRef;
  readonly startedAt: number;
}

/** How a round ended: its usage as reported, its finish reason, and the tools it called with their results. */
interface RoundEnd {
  usage: ChatUsage | null;
  finishReason: string;
  readonly calls: Array<{ readonly call: ChatToolCall; readonly result: string }>;
}

function sumUsage(rounds: readonly ChatUsage[]): ChatUsage {
  const sum = (field: keyof ChatUsage) => rounds.reduce((total, usage) => total + (usage[field] ?? 0), 0);
  const optional = (field: 'cachedInputTokens' | 'reasoningTokens') => (rounds.some((usage) => usage[field] !== undefined) ? { [field]: sum(field) } : {});
  return { inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), ...optional('cachedInputTokens'), ...optional('reasoningTokens') };
}

/** The events' first step, under way at once. */
function started<T>(events: AsyncIterable<T>): { first: Promise<IteratorResult<T>>; iterator: AsyncIterator<T> } {
  const iterator = events[Symbol.asyncIterator]();
  const first = iterator.next();
  // Read (and its failure handled) by the generation; unread when the store fails.
  first.catch(() => undefined);
  return { first, iterator };
}

/** The iterator's events, its first step already under way. */
async function* prefetched<T>(first: Promise<IteratorResult<T>>, iterator: AsyncIterator<T>): AsyncIterable<T> {
  try {
    for (let next = await first; !next.done; next = await iterator.next()) yield next.value;
  } finally {
    await iterator.return?.();
  }
}
