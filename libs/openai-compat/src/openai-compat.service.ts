import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ProblemException, retryWhileUnavailable } from '#chorus/core';
import { ChatTurns, ConversationsService, LiveReply, RepliesService, replyProblem, type ReplyEvent } from '#chorus/conversations';
import { InfluencersService, type InfluencerView } from '#chorus/influencers';
import { ProviderRegistry, type ChatMessage, type ModelPolicy } from '#chorus/providers';
import { QuotaService, type Caller } from '#chorus/usage';
import { OpenAICompatProblems } from './openai-compat.problems.js';

/** How personas are named as models: `persona/<handle>`. */
export const PERSONA_PREFIX = 'persona/';

/** A reply's events up to its final one; `stop` ends the reading early. */
type ReplyEvents = (stop?: AbortSignal) => AsyncIterable<ReplyEvent>;

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

/** A reply's events as a completion's, read until `signal` (the client's connection) ends. */
export async function* completionEvents(events: ReplyEvents, signal: AbortSignal): AsyncIterable<CompletionEvent> {
  let streamed = false;
  for await (const event of events(signal)) {
    const data = event.data as Record<string, unknown>;
    if (event.type === 'reply.delta') {
      streamed = true;
      yield { type: 'delta', text: String(data['text']) };
    } else if (event.type === 'reply.completed') {
      // A retried request (same Idempotency-Key) for a finished reply replays it whole.
      if (!streamed && data['content']) yield { type: 'delta', text: String(data['content']) };
      const usage = (data['usage'] as { inputTokens: number; outputTokens: number } | null) ?? { inputTokens: 0, outputTokens: 0 };
      const finishReason = data['status'] === 'cancelled' ? 'cancelled' : String(data['finishReason'] ?? 'stop');
      yield { type: 'done', finishReason, usage };
    } else if (event.type === 'error') {
      yield { type: 'failed', code: String(data['code']), message: String(data['detail']) };
    }
  }
}

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
    private readonly influencers: InfluencersService,
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly turns: ChatTurns,
    private readonly providers: ProviderRegistry,
    private readonly quota: QuotaService,
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

  /**
   * Streams a completion; `signal` is the client's connection (closing it cancels a stateless
   * request). Refusals (quota, model, conversation) are thrown by the first step, before any event.
   */
  async *complete(caller: Caller, request: CompletionRequest, conversationId: string | undefined, idempotencyKey: string | undefined, signal: AbortSignal): AsyncIterable<CompletionEvent> {
    const events = conversationId
      ? await this.completeInConversation(caller, request, conversationId, idempotencyKey)
      : await this.completeStateless(caller, request, signal);
    yield* completionEvents(events, signal);
  }

  /** The last user message goes through the conversation's own send: stored, resumable, idempotent. */
  private async completeInConversation(caller: Caller, request: CompletionRequest, conversationId: string, idempotencyKey: string | undefined): Promise<ReplyEvents> {
    const conversation = await this.conversations.get(caller.userId, conversationId);
    if (request.model !== `${PERSONA_PREFIX}${conversation.influencer.handle}`) {
      throw new ProblemException(OpenAICompatProblems.modelMismatch, `This conversation is with ${PERSONA_PREFIX}${conversation.influencer.handle}.`);
    }
    const last = request.messages.at(-1);
    if (!last || last.role !== 'user') {
      throw new ProblemException(OpenAICompatProblems.invalidRequest, 'With a conversation id, the last message must be the user\'s new message.');
    }
    const handle = await this.replies.send(caller.userId, conversationId, last.content, idempotencyKey ?? randomUUID(), [], {
      maxTokens: request.maxTokens,
      temperature: request.temperature,
    });
    return this.replies.startedEvents(caller, handle);
  }

  /** A turn that stores nothing but its usage: the request's messages under the persona's system prompt. */
  private async completeStateless(principal: Caller, request: CompletionRequest, signal: AbortSignal): Promise<ReplyEvents> {
    const caller = await this.quota.withOverrides(principal);
    const { policy, systemPrompt } = await this.resolveModel(caller, request);
    const plan = this.turns.plan(systemPrompt, request.messages, policy, { maxTokens: request.maxTokens, temperature: request.temperature });
    const reservationId = randomUUID();
    const abort = new AbortController();
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', () => abort.abort(), { once: true });
    const { generation } = await this.turns.open(plan, abort, () => this.quota.reserveChat(caller, reservationId, plan.estimate));
    const live = new LiveReply(abort);
    void this.turns.run(live, plan, generation, {
      messageId: null,
      settle: async (outcome) => {
        // The client has its reply whatever happens to the ledger: a failure to record it is logged, not shown.
        // Retried through a short outage; safe to repeat (see QuotaService.settleChat).
        await retryWhileUnavailable(() => this.quota.settleChat(this.turns.charge(outcome, reservationId, caller.userId, undefined))).catch((error: Error) =>
          this.logger.error(`Usage of a stateless completion could not be recorded: ${error.message}`),
        );
        if (outcome.status === 'failed') {
          return [{ type: 'error', data: replyProblem(null, outcome.errorCode ?? 'generation_failed', 'The reply could not be generated.', outcome.text.length) }];
        }
        return [{ type: 'reply.completed', data: { status: outcome.status, content: outcome.text, finishReason: outcome.finishReason, usage: outcome.billed } }];
      },
    });
    return (stop) => live.read(0, stop);
  }

  /** The persona a `persona/<handle>` model names, for the caller; anything else (or one out of reach) is an unknown model. */
  async persona(caller: Caller, model: string): Promise<InfluencerView | undefined> {
    if (!model.startsWith(PERSONA_PREFIX)) return undefined;
    const persona = await this.influencers.get(model.slice(PERSONA_PREFIX.length), false).catch((error: unknown) => {
      // An unknown persona is an unknown model; any other failure (the database down) is not.
      if (error instanceof ProblemException && error.problem.status === 404) return undefined;
      throw error;
    });
    if (!persona) throw new ProblemException(OpenAICompatProblems.modelNotFound, `The model ${model} does not exist.`);
    await this.quota.assertPersonaAllowed(caller, persona.premiumOnly);
    return persona;
  }

  private async resolveModel(caller: Caller, request: CompletionRequest): Promise<{ policy: ModelPolicy; systemPrompt: string }> {
    const persona = await this.persona(caller, request.model);
    if (persona) return { policy: persona.modelPolicy, systemPrompt: persona.systemPrompt };
    // Raw provider models are for admins: they carry no persona and no system prompt of ours.
    const [provider = '', ...rest] = request.model.split('/');
    const ref = { provider, model: rest.join('/') };
    if (caller.role !== 'admin' || !this.providers.model(ref)) {
      throw new ProblemException(OpenAICompatProblems.modelNotFound, `The model ${request.model} does not exist.`);
    }
    return { policy: { primary: ref, fallbacks: [] }, systemPrompt: '' };
  }
}
