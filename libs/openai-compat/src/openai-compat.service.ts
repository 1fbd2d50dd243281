import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProblemException, type ProblemType } from '#chorus/core';
import { ContextBuilder, ConversationsService, RepliesService, ReplyMetrics, type ReplyEvent } from '#chorus/conversations';
import { InfluencersService, type InfluencerView } from '#chorus/influencers';
import { GenerationError, ProviderRegistry, type ChatMessage, type ChatUsage, type ModelPolicy } from '#chorus/providers';
import { QuotaService, type Caller } from '#chorus/usage';

export const OpenAICompatProblems = {
  invalidRequest: { code: 'invalid_request', status: 400, title: 'Invalid request' },
  modelNotFound: { code: 'model_not_found', status: 404, title: 'Model not found' },
  modelMismatch: { code: 'model_mismatch', status: 400, title: 'Model does not match the conversation' },
  generationFailed: { code: 'generation_failed', status: 502, title: 'The reply could not be generated' },
} as const satisfies Record<string, ProblemType>;

const PERSONA_PREFIX = 'persona/';

export interface CompletionRequest {
  readonly model: string;
  readonly messages: ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
}

/** What a completion streams: text, then how it ended. */
export type CompletionEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'done'; readonly finishReason: string; readonly usage: { inputTokens: number; outputTokens: number } }
  | { readonly type: 'failed'; readonly code: string; readonly message: string };

/**
 * Personas as OpenAI models. A request runs the persona's system prompt and model policy,
 * under the caller's quota and in the usage ledger like any Chorus reply. With a conversation
 * id, the last user message goes through the conversation's own send (stored, resumable,
 * idempotent); without one, nothing is stored but the usage.
 */
@Injectable()
export class OpenAICompatService {
  private readonly logger = new Logger('OpenAICompat');

  constructor(
    private readonly dataSource: DataSource,
    private readonly influencers: InfluencersService,
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly providers: ProviderRegistry,
    private readonly contexts: ContextBuilder,
    private readonly quota: QuotaService,
    private readonly metrics: ReplyMetrics,
  ) {}

  /** The personas the caller may talk to, as models; admins also see the raw provider models. */
  async models(caller: Caller): Promise<Array<{ id: string; ownedBy: string; created: number }>> {
    const limits = await this.quota.limitsFor(caller);
    const personas: InfluencerView[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await this.influencers.list({ limit: 100, cursor }, false);
      personas.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    }
    const models = personas
      .filter((persona) => !persona.premiumOnly || !limits || limits.premiumPersonas)
      .map((persona) => ({ id: `${PERSONA_PREFIX}${persona.handle}`, ownedBy: 'chorus', created: Math.floor(persona.createdAt.getTime() / 1000) }));
    if (caller.role === 'admin') {
      for (const provider of this.providers.status()) {
        for (const model of provider.models) models.push({ id: `${provider.name}/${model.id}`, ownedBy: provider.name, created: 0 });
      }
    }
    return models;
  }

  /** Streams a completion; `signal` is the client's connection (closing it cancels a stateless request). */
  async *complete(caller: Caller, request: CompletionRequest, conversationId: string | undefined, idempotencyKey: string | undefined, signal: AbortSignal): AsyncIterable<CompletionEvent> {
    if (conversationId) {
      yield* this.completeInConversation(caller, request, conversationId, idempotencyKey);
      return;
    }
    const { policy, systemPrompt } = await this.resolveModel(caller, request);
    const model = this.providers.model(policy.primary);
    const replyBudget = Math.min(request.maxTokens ?? policy.maxReplyTokens ?? model?.maxOutputTokens ?? 1024, model?.maxOutputTokens ?? 1024);
    const messages = this.contexts.build(systemPrompt, request.messages, model?.contextWindow ?? 8192, replyBudget);
    const promptTokens = messages.reduce((sum, message) => sum + this.contexts.count(message.content), 0);
    const reservationId = randomUUID();
    await this.dataSource.transaction((manager) =>
      this.quota.reserveChat(manager, caller, reservationId, {
        tokens: promptTokens + replyBudget,
        costMicros: this.quota.costOf({ ...policy.primary, inputTokens: promptTokens, outputTokens: replyBudget }),
      }),
    );

    let text = '';
    let usage: ChatUsage | null = null;
    let servedBy = policy.primary;
    let failed = false;
    /** How the provider said the generation ended; unset when the client left first (the generator is closed mid-stream). */
    let finishReason: string | undefined;
    const startedAt = performance.now();
    let firstTokenMs: number | null = null;
    this.metrics.started();
    try {
      for await (const event of this.providers.generate({ ...policy, maxReplyTokens: replyBudget, temperature: request.temperature ?? policy.temperature }, messages, signal)) {
        if (event.type === 'delta') {
          firstTokenMs ??= performance.now() - startedAt;
          text += event.text;
          yield { type: 'delta', text: event.text };
        } else if (event.type === 'completed') {
          usage = event.usage;
          servedBy = event.servedBy;
          finishReason = event.finishReason;
          const billed = this.billed(usage, text, promptTokens);
          yield { type: 'done', finishReason: event.finishReason, usage: billed };
        }
      }
    } catch (error) {
      failed = true;
      if (error instanceof GenerationError) {
        usage = error.usage;
        servedBy = error.servedBy ?? servedBy;
      }
      yield { type: 'failed', code: error instanceof GenerationError ? error.code : 'generation_failed', message: (error as Error).message };
    } finally {
      const billed = this.billed(usage, text, promptTokens);
      const status = failed ? 'failed' : finishReason === undefined || finishReason === 'cancelled' ? 'cancelled' : 'completed';
      this.metrics.finished({ servedBy, status, firstTokenMs, startedAt, billed });
      await this.dataSource
        .transaction((manager) =>
          this.quota.settleChat(manager, {
            reservationId,
            messageId: null,
            conversationId: null,
            userId: caller.userId,
            countsAsMessage: !failed || text.length > 0,
            inputTokens: billed.inputTokens,
            outputTokens: billed.outputTokens,
            cachedInputTokens: usage?.cachedInputTokens ?? 0,
            reasoningTokens: usage?.reasoningTokens ?? 0,
            provider: servedBy.provider,
            model: servedBy.model,
          }),
        )
        .catch((error: Error) => this.logger.error(`Usage of a stateless completion could not be recorded: ${error.message}`));
    }
  }

  private async *completeInConversation(caller: Caller, request: CompletionRequest, conversationId: string, idempotencyKey: string | undefined): AsyncIterable<CompletionEvent> {
    const conversation = await this.conversations.get(caller.userId, conversationId);
    if (request.model !== `${PERSONA_PREFIX}${conversation.influencer.handle}`) {
      throw new ProblemException(OpenAICompatProblems.modelMismatch, `This conversation is with ${PERSONA_PREFIX}${conversation.influencer.handle}.`);
    }
    const last = request.messages.at(-1);
    if (!last || last.role !== 'user') {
      throw new ProblemException(OpenAICompatProblems.invalidRequest, 'With a conversation id, the last message must be the user\'s new message.');
    }
    const handle = await this.replies.send(caller.userId, conversationId, last.content, idempotencyKey ?? randomUUID());
    const events = handle.live ?? (await this.replies.stream(caller.userId, conversationId, handle.replyId));
    for await (const event of replyEvents(events)) {
      const data = event.data as Record<string, unknown>;
      if (event.type === 'reply.delta') yield { type: 'delta', text: String(data['text']) };
      if (event.type === 'reply.completed') {
        const usage = (data['usage'] as { inputTokens: number; outputTokens: number } | null) ?? { inputTokens: 0, outputTokens: 0 };
        // A retried request (same Idempotency-Key) for a finished reply replays it whole.
        if (!handle.live) yield { type: 'delta', text: String(data['content']) };
        yield { type: 'done', finishReason: String(data['finishReason'] ?? 'stop'), usage };
      }
      if (event.type === 'error') yield { type: 'failed', code: String(data['code']), message: String(data['detail']) };
    }
  }

  private async resolveModel(caller: Caller, request: CompletionRequest): Promise<{ policy: ModelPolicy; systemPrompt: string }> {
    if (request.model.startsWith(PERSONA_PREFIX)) {
      const persona = await this.influencers.get(request.model.slice(PERSONA_PREFIX.length), false).catch((error: unknown) => {
        // An unknown persona is an unknown model; any other failure (the database down) is not.
        if (error instanceof ProblemException && error.problem.status === 404) return undefined;
        throw error;
      });
      if (!persona) throw new ProblemException(OpenAICompatProblems.modelNotFound, `The model ${request.model} does not exist.`);
      await this.quota.assertPersonaAllowed(caller, persona.premiumOnly);
      return { policy: persona.modelPolicy, systemPrompt: persona.systemPrompt };
    }
    // Raw provider models are for admins: they carry no persona and no system prompt of ours.
    const [provider = '', ...rest] = request.model.split('/');
    const ref = { provider, model: rest.join('/') };
    if (caller.role !== 'admin' || !this.providers.model(ref)) {
      throw new ProblemException(OpenAICompatProblems.modelNotFound, `The model ${request.model} does not exist.`);
    }
    return { policy: { primary: ref, fallbacks: [] }, systemPrompt: '' };
  }

  private billed(usage: ChatUsage | null, text: string, promptTokens: number): { inputTokens: number; outputTokens: number } {
    return usage ?? { inputTokens: text.length > 0 ? promptTokens : 0, outputTokens: this.contexts.countText(text) };
  }
}

/** A live reply's events (replayed from the start, then followed) or a finished one's, as an async iterable. */
async function* replyEvents(source: { subscribe(afterId: number, listener: (event: ReplyEvent) => void): () => void; finished: Promise<void> } | ReplyEvent[]): AsyncIterable<ReplyEvent> {
  if (Array.isArray(source)) {
    yield* source;
    return;
  }
  const queue: ReplyEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const stop = source.subscribe(0, (event) => {
    queue.push(event);
    wake?.();
  });
  void source.finished.then(() => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        if (next.type === 'reply.completed' || next.type === 'error') return;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop();
  }
}
