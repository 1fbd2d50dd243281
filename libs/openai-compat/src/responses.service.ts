import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ProblemException } from '#chorus/core';
import { ConversationsService, RepliesService } from '#chorus/conversations';
import type { ChatMessage } from '#chorus/providers';
import type { Caller } from '#chorus/usage';
import { OpenAICompatProblems } from './openai-compat.problems.js';
import { completionEvents, OpenAICompatService, PERSONA_PREFIX, type CompletionEvent } from './openai-compat.service.js';
import { outputItemId, type ResponseRequest } from './response-request.js';
import type { StoredResponseEntity } from './stored-response.entity.js';
import { StoredResponsesRepository, type StoredExchange } from './stored-responses.repository.js';

/** What a response says of itself beside its output: the request's settings, as the Responses API echoes them. */
export interface ResponseHead {
  readonly id: string;
  readonly createdAt: Date;
  readonly model: string;
  readonly outputItemId: string;
  readonly store: boolean;
  readonly instructions: string | null;
  readonly metadata: Record<string, string>;
  readonly temperature: number | null;
  readonly maxOutputTokens: number | null;
  readonly previousResponseId: string | null;
}

/** How a response stands: its text so far, and how it ended (or `in_progress`). */
export interface ResponseState {
  readonly status: 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';
  readonly text: string;
  readonly incompleteReason?: 'max_output_tokens' | 'content_filter';
  readonly error?: { readonly code: string; readonly message: string };
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly cachedInputTokens?: number; readonly reasoningTokens?: number };
}

/** An input item of a stored response: the user's message it sent. */
export interface ResponseInputItem {
  readonly id: string;
  readonly role: 'user';
  readonly text: string;
}

/**
 * OpenAI's Responses API over Chorus conversations. A stored response (the default with a persona)
 * is a turn of a conversation: the first of a chain starts one with the persona, and
 * `previous_response_id` (or `input` referring to a stored reply) continues it, so the persona
 * answers from the stored history; the conversation shows in the Chorus apps like any other. With
 * `store: false`, or a raw provider model (admins), the turn is stateless: `input` is the whole
 * context and only the usage is recorded. Either way the quota, ledger and generation are those
 * of every Chorus reply.
 */
@Injectable()
export class ResponsesService {
  constructor(
    private readonly completions: OpenAICompatService,
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly stored: StoredResponsesRepository,
  ) {}

  /**
   * Starts the response; its events follow until `signal` (the client's connection) ends. Refusals
   * (model, quota, ids) are thrown here or by the first event, before any output, and leave
   * nothing behind. A retry with the same `idempotencyKey` gets the first attempt's response and
   * replays its reply.
   *
   * The response's row is claimed before the reply is sent: its unique Idempotency-Key and
   * `previous_response_id` (a response has one successor) settle concurrent retries and forks
   * in the database, before anything is generated or billed.
   */
  async create(caller: Caller, request: ResponseRequest, idempotencyKey: string | undefined, signal: AbortSignal): Promise<{ head: ResponseHead; events: AsyncIterable<CompletionEvent> }> {
    const persona = await this.completions.persona(caller, request.model);
    const store = request.store ?? persona !== undefined;
    if (!store) {
      if (idempotencyKey !== undefined) throw invalid('Idempotency-Key is for stored responses: a `store: false` response has nothing to replay.', 'Idempotency-Key');
      return this.createStateless(caller, request, signal);
    }
    if (!persona) throw invalid('Responses of raw provider models are not stored: send `store: false`.', 'store');
    const model = `${PERSONA_PREFIX}${persona.handle}`;

    if (idempotencyKey !== undefined) {
      const first = await this.stored.findByIdempotencyKey(caller.userId, idempotencyKey);
      if (first) return this.replayed(caller, first, { ...request, model }, signal);
    }
    const previous = await this.continued(caller, model, request);
    const continuing = previous?.response.conversationId;
    const conversationId = continuing ?? (await this.conversations.create(caller, persona.id)).conversation.id;
    // A first turn that does not go through takes its new conversation (only its greeting) with it.
    const dropConversation = async () => {
      if (!continuing) await this.conversations.remove(caller.userId, conversationId).catch(() => undefined);
    };
    const claimed = await this.stored
      .claim({
        id: newResponseId(),
        userId: caller.userId,
        conversationId,
        model,
        instructions: request.instructions ?? null,
        metadata: request.metadata,
        temperature: request.temperature ?? null,
        maxOutputTokens: request.maxOutputTokens ?? null,
        previousResponseId: previous?.response.id ?? null,
        idempotencyKey: idempotencyKey ?? null,
      })
      .catch(async (error: unknown) => {
        await dropConversation();
        throw error;
      });
    if (!claimed) {
      await dropConversation();
      const first = idempotencyKey === undefined ? null : await this.stored.findByIdempotencyKey(caller.userId, idempotencyKey);
      if (first) return this.replayed(caller, first, { ...request, model }, signal);
      throw notLatest(previous!.response.id);
    }
    let handle: Awaited<ReturnType<RepliesService['send']>>;
    try {
      handle = await this.replies.send(caller.userId, conversationId, request.turn, idempotencyKey ?? randomUUID(), request.uploads, {
        instructions: request.instructions,
        maxTokens: request.maxOutputTokens,
        temperature: request.temperature,
      });
    } catch (error) {
      // Refused (quota, moderation, uploads): the claim goes, so that the chain can go on from its last response.
      await this.stored.delete(caller.userId, claimed.id);
      await dropConversation();
      throw error;
    }
    await this.stored.attachReply(claimed.id, handle.replyId);
    return { head: headOf({ ...claimed, replyMessageId: handle.replyId }), events: completionEvents(await this.replies.startedEvents(caller, handle), signal) };
  }

  /**
   * The first response of an Idempotency-Key, for its retry: its reply replayed from its first
   * event, once that first attempt has sent it. A retry must ask for the same turn.
   */
  private async replayed(
    caller: Caller,
    first: StoredResponseEntity,
    retry: ResponseRequest,
    signal: AbortSignal,
  ): Promise<{ head: ResponseHead; events: AsyncIterable<CompletionEvent> }> {
    const exchange = await this.stored.sentExchange(caller.userId, first.id, signal);
    if (!exchange) {
      throw new ProblemException(OpenAICompatProblems.idempotencyConflict, 'The first request with this Idempotency-Key did not go through or is still starting: retry in a moment.');
    }
    const { response, asked } = exchange;
    if (response.model !== retry.model || response.previousResponseId !== (retry.previousResponseId ?? response.previousResponseId) || asked.content !== retry.turn) {
      throw new ProblemException(OpenAICompatProblems.idempotencyConflict, 'This Idempotency-Key was used for another request: use a new key for a new request.');
    }
    return { head: headOf(response), events: completionEvents(await this.replies.events(caller, response.conversationId, response.replyMessageId!, 0), signal) };
  }

  /**
   * The stored response a request continues: `previous_response_id`, or the one whose reply the
   * input's last `item_reference` names (how the Vercel AI SDK sends a stored history). A chain
   * goes on from its last response only: a conversation has one line of turns.
   */
  private async continued(caller: Caller, model: string, request: ResponseRequest): Promise<StoredExchange | undefined> {
    let previousId = request.previousResponseId;
    if (previousId !== undefined && (request.history.length > 0 || request.referencedReplies.length > 0)) {
      throw invalid('With `previous_response_id`, `input` holds only the new message: the earlier turns are stored.', 'input');
    }
    if (previousId === undefined && request.referencedReplies.length > 0) {
      const references = await Promise.all(request.referencedReplies.map((reply) => this.stored.findByReply(caller.userId, reply)));
      const missing = references.findIndex((reference) => !reference);
      if (missing >= 0) throw notFoundItem(outputItemId(request.referencedReplies[missing]!));
      if (new Set(references.map((reference) => reference!.conversationId)).size > 1) {
        throw invalid('The items `input` refers to belong to different stored conversations.', 'input');
      }
      if (request.turnsAfterLastReference > 0) {
        throw invalid('After its last `item_reference`, `input` holds only the new user message: earlier turns are stored.', 'input');
      }
      previousId = references.at(-1)!.id;
    } else if (previousId === undefined && request.history.length > 0) {
      throw invalid('Earlier turns in `input` are kept by the client only with `store: false`; to go on with a stored response, send `previous_response_id`.', 'input');
    }
    if (previousId === undefined) return undefined;
    const previous = await this.stored.exchange(caller.userId, previousId);
    if (!previous) throw notFound(previousId);
    if (previous.response.model !== model) {
      throw new ProblemException(OpenAICompatProblems.modelMismatch, `Response ${previousId} is with ${previous.response.model}.`);
    }
    if (!previous.latest) throw notLatest(previousId);
    return previous;
  }

  /** A turn whose context is `input` alone, stored nowhere but in the usage ledger. */
  private async createStateless(caller: Caller, request: ResponseRequest, signal: AbortSignal): Promise<{ head: ResponseHead; events: AsyncIterable<CompletionEvent> }> {
    if (request.previousResponseId !== undefined || request.referencedReplies.length > 0) {
      throw invalid('Going on from a stored response needs `store: true`.', request.previousResponseId !== undefined ? 'previous_response_id' : 'input');
    }
    if (request.uploads.length > 0) throw invalid('Images are sent in stored responses only.', 'input');
    const messages: ChatMessage[] = [
      ...(request.instructions ? [{ role: 'system' as const, content: request.instructions }] : []),
      ...request.history,
      { role: 'user', content: request.turn },
    ];
    const events = this.completions.complete(caller, { model: request.model, messages, temperature: request.temperature, maxTokens: request.maxOutputTokens }, undefined, undefined, signal);
    const id = newResponseId();
    const head: ResponseHead = {
      id,
      createdAt: new Date(),
      model: request.model,
      outputItemId: `msg_${id.slice('resp_'.length)}`,
      store: false,
      instructions: request.instructions ?? null,
      metadata: request.metadata,
      temperature: request.temperature ?? null,
      maxOutputTokens: request.maxOutputTokens ?? null,
      previousResponseId: null,
    };
    return { head, events };
  }

  /** A stored response of the user's as it stands. */
  async get(caller: Caller, id: string): Promise<{ head: ResponseHead; state: ResponseState }> {
    const exchange = await this.stored.exchange(caller.userId, id);
    if (!exchange) throw notFound(id);
    return { head: headOf(exchange.response), state: stateOf(exchange.reply) };
  }

  /** Forgets the stored response; its turn stays in the Chorus conversation (deleting that deletes it). */
  async remove(caller: Caller, id: string): Promise<void> {
    if (!(await this.stored.delete(caller.userId, id))) throw notFound(id);
  }

  /** The response's input items: the user's message it sent. */
  async inputItems(caller: Caller, id: string): Promise<ResponseInputItem[]> {
    const exchange = await this.stored.exchange(caller.userId, id);
    if (!exchange) throw notFound(id);
    return [{ id: outputItemId(exchange.asked.id), role: 'user', text: exchange.asked.content }];
  }
}

/** `resp_` and 32 random hex digits. */
function newResponseId(): string {
  return `resp_${randomBytes(16).toString('hex')}`;
}

/** A stored response whose reply was sent. */
function headOf(response: StoredResponseEntity): ResponseHead {
  return {
    id: response.id,
    createdAt: response.createdAt,
    model: response.model,
    outputItemId: outputItemId(response.replyMessageId!),
    store: true,
    instructions: response.instructions,
    metadata: response.metadata,
    temperature: response.temperature,
    maxOutputTokens: response.maxOutputTokens,
    previousResponseId: response.previousResponseId,
  };
}

/** A stored reply as a response's status, text and usage. */
function stateOf(reply: StoredExchange['reply']): ResponseState {
  const usage = reply.inputTokens === null && reply.outputTokens === null
    ? undefined
    : { inputTokens: reply.inputTokens ?? 0, outputTokens: reply.outputTokens ?? 0, cachedInputTokens: reply.cachedInputTokens ?? 0, reasoningTokens: reply.reasoningTokens ?? 0 };
  if (reply.status === 'streaming') return { status: 'in_progress', text: reply.content };
  if (reply.status === 'failed') return { status: 'failed', text: reply.content, usage, error: { code: reply.errorCode ?? 'generation_failed', message: 'The reply could not be generated.' } };
  if (reply.status === 'cancelled') return { status: 'cancelled', text: reply.content, usage };
  return { ...finishOf(reply.finishReason), text: reply.content, usage };
}

/** A finished reply's status by its finish reason: cut short by the token limit or a filter, it is incomplete. */
export function finishOf(finishReason: string | null): Pick<ResponseState, 'status' | 'incompleteReason'> {
  if (finishReason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finishReason === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  if (finishReason === 'cancelled') return { status: 'cancelled' };
  return { status: 'completed' };
}

function invalid(message: string, param: string): ProblemException {
  return new ProblemException(OpenAICompatProblems.invalidRequest, message, { errors: [{ field: param, message }] });
}

function notLatest(id: string): ProblemException {
  return invalid(`Response ${id} is not the last of its conversation: continue from the latest one.`, 'previous_response_id');
}

/** OpenAI's words for an unknown response (another user's too); an id too long to be one is not echoed whole. */
function notFound(id: string): ProblemException {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new ProblemException(OpenAICompatProblems.responseNotFound, `Response with id '${shown}' not found.`);
}

function notFoundItem(id: string): ProblemException {
  return new ProblemException(OpenAICompatProblems.responseNotFound, `Item with id '${id}' not found.`);
}
