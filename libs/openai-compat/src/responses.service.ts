import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { ProblemException } from '#chorus/core';
import { ConversationsService, RepliesService, type ReplyHandle } from '#chorus/conversations';
import type { ChatMessage } from '#chorus/providers';
import type { Caller } from '#chorus/usage';
import { OpenAICompatProblems } from './openai-compat.problems.js';
import { completionEvents, OpenAICompatService, PERSONA_PREFIX, type CompletionEvent } from './openai-compat.service.js';
import { invalid, outputItemId, type ResponseRequest } from './response-request.js';
import type { StoredResponseEntity } from './stored-response.entity.js';
import { StoredResponsesRepository, type ResponseClaim } from './stored-responses.repository.js';

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

/** A started response: what it says of itself, and its events until the client leaves. */
export interface StartedResponse {
  readonly head: ResponseHead;
  readonly events: AsyncIterable<CompletionEvent>;
}

/** A page of a stored response's input items (the user's message it sent). */
export interface InputItemsPage {
  readonly items: ReadonlyArray<{ readonly id: string; readonly text: string }>;
  readonly hasMore: boolean;
}

/**
 * A claim whose reply is not attached after this long is settled when it stands in the way of
 * another (a taken key or successor): attached if its message was stored (its process died
 * after the send), deleted otherwise.
 */
const UNATTACHED_CLAIM_SECONDS = 60;
/** How long a retry waits for its first attempt (same Idempotency-Key, still starting) to send its message. */
const FIRST_ATTEMPT_WAIT_MS = 10_000;

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
  private readonly logger = new Logger('Responses');

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
   * The response's row is claimed before its message is sent: its unique Idempotency-Key and
   * `previous_response_id` (a response has one successor) settle concurrent retries and forks
   * in the database, before anything is generated or billed.
   */
  async create(caller: Caller, request: ResponseRequest, idempotencyKey: string | undefined, signal: AbortSignal): Promise<StartedResponse> {
    const persona = await this.completions.persona(caller, request.model);
    if (!persona && caller.role !== 'admin') throw new ProblemException(OpenAICompatProblems.modelNotFound, `The model ${request.model} does not exist.`);
    const store = request.store ?? persona !== undefined;
    if (!store) {
      if (idempotencyKey !== undefined) throw invalid('Idempotency-Key is for stored responses: a `store: false` response has nothing to replay.', 'Idempotency-Key');
      return this.createStateless(caller, request, signal);
    }
    if (!persona) throw invalid('Responses of raw provider models are not stored: send `store: false`.', 'store');
    const asked = { ...request, model: `${PERSONA_PREFIX}${persona.handle}` };
    const requestHash = hashOf(asked);

    if (idempotencyKey !== undefined) {
      const first = await this.stored.findByIdempotencyKey(caller.userId, idempotencyKey);
      if (first) return this.replayed(caller, first, requestHash, signal);
    }
    const previous = await this.continued(caller, asked);
    const continuing = previous?.conversationId;
    const conversationId = continuing ?? (await this.conversations.create(caller, persona.id)).conversation.id;
    // A first turn that does not go through takes its new conversation (only its greeting) with it.
    const dropConversation = async () => {
      if (!continuing) await this.conversations.remove(caller.userId, conversationId).catch(() => undefined);
    };
    const claim = {
      id: newResponseId(),
      userId: caller.userId,
      conversationId,
      model: asked.model,
      instructions: request.instructions ?? null,
      metadata: request.metadata,
      temperature: request.temperature ?? null,
      maxOutputTokens: request.maxOutputTokens ?? null,
      previousResponseId: previous?.id ?? null,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      clientMessageId: randomUUID(),
    };
    const claimed = await this.claimSettling(caller, claim).catch(async (error: unknown) => {
      await dropConversation();
      throw error;
    });
    if (!claimed) {
      await dropConversation();
      const first = idempotencyKey === undefined ? null : await this.stored.findByIdempotencyKey(caller.userId, idempotencyKey);
      if (first) return this.replayed(caller, first, requestHash, signal);
      if (previous) throw notLatest(previous.id);
      // The key's first attempt was refused and gave it up between our two reads.
      throw retryLater();
    }
    let handle: ReplyHandle;
    try {
      handle = await this.replies.send(caller.userId, conversationId, request.turn, claim.clientMessageId, request.uploads, {
        instructions: request.instructions,
        maxTokens: request.maxOutputTokens,
        temperature: request.temperature,
      });
    } catch (error) {
      // Refused before its message was stored (quota, moderation, uploads): the claim goes, so that the chain can go on from its last response.
      if (!(await this.attachSent(claimed))) {
        await this.stored.delete(caller.userId, claimed.id);
        await dropConversation();
      }
      throw error;
    }
    if (!(await this.stored.attachReply(claimed.id, handle.replyId))) {
      this.logger.warn(`Response ${claimed.id} lost its claim while its message was sent; its turn stays in conversation ${conversationId}.`);
    }
    return { head: headOf({ ...claimed, replyMessageId: handle.replyId }), events: completionEvents(await this.replies.startedEvents(caller, handle), signal) };
  }

  /**
   * The first response of an Idempotency-Key, for its retry: its reply replayed from its first
   * event, once that first attempt has sent its message. A retry must ask for the same.
   */
  private async replayed(caller: Caller, first: StoredResponseEntity, requestHash: string, signal: AbortSignal): Promise<StartedResponse> {
    if (first.requestHash !== requestHash) {
      throw new ProblemException(OpenAICompatProblems.idempotencyConflict, 'This Idempotency-Key was used for another request: use a new key for a new request.');
    }
    const deadline = Date.now() + FIRST_ATTEMPT_WAIT_MS;
    let sent = await this.attachSent(first);
    for (let pause = 50; !sent && Date.now() < deadline && !signal.aborted; pause = Math.min(pause * 2, 500)) {
      await sleep(pause);
      const current = await this.stored.find(caller.userId, first.id);
      if (!current) break;
      sent = await this.attachSent(current);
    }
    if (!sent) {
      // A first attempt whose process died unsent gives its key up, for the next retry.
      await this.settleUnattachedClaims(caller);
      throw retryLater();
    }
    return { head: headOf(sent), events: completionEvents(await this.replies.events(caller, sent.conversationId, sent.replyMessageId!, 0), signal) };
  }

  /** The claim with its reply: attached already, or attached now if its message was stored; undefined while it was not. */
  private async attachSent(claim: StoredResponseEntity): Promise<StoredResponseEntity | undefined> {
    if (claim.replyMessageId) return claim;
    const replyMessageId = await this.replies.replyToSent(claim.conversationId, claim.clientMessageId);
    if (!replyMessageId) return undefined;
    await this.stored.attachReply(claim.id, replyMessageId);
    return { ...claim, replyMessageId };
  }

  /** Claims the response's row; when its key or successor slot is taken, settles claims dead processes left, and tries once more. */
  private async claimSettling(caller: Caller, claim: ResponseClaim): Promise<StoredResponseEntity | undefined> {
    const claimed = await this.stored.claim(claim);
    if (claimed) return claimed;
    await this.settleUnattachedClaims(caller);
    return this.stored.claim(claim);
  }

  /**
   * The user's claims left unattached by a process that died: attached when their message was
   * stored, deleted otherwise, so that they hold neither a key nor a chain's next turn.
   */
  private async settleUnattachedClaims(caller: Caller): Promise<void> {
    for (const claim of await this.stored.unattachedSince(caller.userId, UNATTACHED_CLAIM_SECONDS)) {
      if (!(await this.attachSent(claim))) await this.stored.delete(caller.userId, claim.id);
    }
  }

  /**
   * The stored response a request continues, with its conversation: `previous_response_id`, or
   * the one whose reply the input's last `item_reference` names (how the Vercel AI SDK sends a
   * stored history). A chain goes on from its last, finished response only: a conversation has
   * one line of turns.
   */
  private async continued(caller: Caller, request: ResponseRequest): Promise<{ id: string; conversationId: string } | undefined> {
    let previousId = request.previousResponseId;
    if (previousId !== undefined && (request.history.length > 0 || request.referencedReplies.length > 0)) {
      throw invalid('With `previous_response_id`, `input` holds only the new message: the earlier turns are stored.', 'input');
    }
    if (previousId === undefined && request.referencedReplies.length > 0) {
      const references = await this.stored.findByReplies(caller.userId, request.referencedReplies);
      const missing = request.referencedReplies.find((reply) => !references.some((reference) => reference.replyMessageId === reply));
      if (missing) throw new ProblemException(OpenAICompatProblems.responseNotFound, `Item with id '${outputItemId(missing)}' not found.`);
      if (new Set(references.map((reference) => reference.conversationId)).size > 1) {
        throw invalid('The items `input` refers to belong to different stored conversations.', 'input');
      }
      if (request.turnsAfterLastReference > 0) {
        throw invalid('After its last `item_reference`, `input` holds only the new user message: earlier turns are stored.', 'input');
      }
      previousId = references.find((reference) => reference.replyMessageId === request.referencedReplies.at(-1))!.id;
    } else if (previousId === undefined && request.history.length > 0) {
      throw invalid('Earlier turns in `input` are kept by the client only with `store: false`; to go on with a stored response, send `previous_response_id`.', 'input');
    }
    if (previousId === undefined) return undefined;
    const previous = await this.exchange(caller, previousId);
    if (!previous) throw notFound(previousId);
    if (previous.response.model !== request.model) {
      throw new ProblemException(OpenAICompatProblems.modelMismatch, `Response ${previousId} is with ${previous.response.model}.`);
    }
    if (previous.reply.status === 'streaming') {
      throw invalid(`Response ${previousId} is still in progress: continue from it once it has ended.`, 'previous_response_id');
    }
    if (!previous.latest) throw notLatest(previousId);
    return previous.response;
  }

  /** A turn whose context is `input` alone, stored nowhere but in the usage ledger. */
  private async createStateless(caller: Caller, request: ResponseRequest, signal: AbortSignal): Promise<StartedResponse> {
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

  /**
   * A started response read to its end, for a client that does not stream. A stored one that
   * failed is answered as it was saved (`failed`, with its id and usage), so that the client can
   * see it and go on from it; a stateless one that failed is a 502.
   */
  async collect(caller: Caller, { head, events }: StartedResponse): Promise<{ head: ResponseHead; state: ResponseState }> {
    let text = '';
    for await (const event of events) {
      if (event.type === 'delta') text += event.text;
      else if (event.type === 'done') return { head, state: { ...finishOf(event.finishReason), text, usage: event.usage } };
      else if (head.store) return this.get(caller, head.id);
      else throw new ProblemException(OpenAICompatProblems.generationFailed, `The reply could not be generated (${event.code}).`);
    }
    // The events ended without an end: the client went away.
    return { head, state: { status: 'in_progress', text } };
  }

  /** A stored response of the user's as it stands. */
  async get(caller: Caller, id: string): Promise<{ head: ResponseHead; state: ResponseState }> {
    const exchange = await this.exchange(caller, id);
    if (!exchange) throw notFound(id);
    return { head: headOf(exchange.response), state: stateOf(exchange.reply) };
  }

  /** Forgets the stored response; its turn stays in the Chorus conversation (deleting that deletes it). */
  async remove(caller: Caller, id: string): Promise<void> {
    if (!(await this.stored.delete(caller.userId, id))) throw notFound(id);
  }

  /** A page of the response's input items: the user's message it sent. */
  async inputItems(caller: Caller, id: string, page: { limit: number; order: 'asc' | 'desc'; after?: string }): Promise<InputItemsPage> {
    const exchange = await this.exchange(caller, id);
    if (!exchange) throw notFound(id);
    const items = [{ id: outputItemId(exchange.userMessage.id), text: exchange.userMessage.content }];
    // Oldest first as stored; `desc` (OpenAI's default) is newest first.
    const ordered = page.order === 'asc' ? items : items.reverse();
    // After an item that is not in the list: nothing (never the list again from its start).
    const start = page.after === undefined ? 0 : ordered.findIndex((item) => item.id === page.after) + 1 || ordered.length;
    return { items: ordered.slice(start, start + page.limit), hasMore: start + page.limit < ordered.length };
  }

  /** The user's stored response (with its reply attached) and its exchange in the conversation. */
  private async exchange(caller: Caller, id: string) {
    const response = id.length <= 64 ? await this.stored.find(caller.userId, id) : null;
    if (!response?.replyMessageId) return undefined;
    const exchange = await this.replies.exchange(caller, response.conversationId, response.replyMessageId);
    return exchange && { response, ...exchange };
  }
}

/** `resp_` and 32 random hex digits. */
function newResponseId(): string {
  return `resp_${randomBytes(16).toString('hex')}`;
}

/** What a request asks, as a retry with its Idempotency-Key must ask it too. */
function hashOf(request: ResponseRequest): string {
  const { model, turn, uploads, history, referencedReplies, instructions, maxOutputTokens, temperature, metadata, previousResponseId } = request;
  const asked = { model, turn, uploads, history, referencedReplies, instructions, maxOutputTokens, temperature, metadata, previousResponseId };
  return createHash('sha256').update(JSON.stringify(asked)).digest('hex');
}

/** A stored response whose reply is attached. */
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
function stateOf(reply: {
  content: string;
  status: string;
  finishReason: string | null;
  errorCode: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  reasoningTokens: number | null;
}): ResponseState {
  const usage =
    reply.inputTokens === null && reply.outputTokens === null
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

function notLatest(id: string): ProblemException {
  return invalid(`Response ${id} is not the last of its conversation: continue from the latest one.`, 'previous_response_id');
}

function retryLater(): ProblemException {
  return new ProblemException(OpenAICompatProblems.idempotencyConflict, 'The first request with this Idempotency-Key is still starting or did not go through: retry in a moment.');
}

/** OpenAI's words for an unknown response (another user's too); an id too long to be one is not echoed whole. */
function notFound(id: string): ProblemException {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new ProblemException(OpenAICompatProblems.responseNotFound, `Response with id '${shown}' not found.`);
}
