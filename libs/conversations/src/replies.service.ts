import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CoreProblems, InjectConfig, ProblemException, retryWhileUnavailable, type AppConfig } from '#chorus/core';
import { QuotaService, type Caller, type ChatReservation, type QuotaSnapshot } from '#chorus/usage';
import { ChatTurns, replyProblem, type TurnOutcome, type TurnPlan } from './chat-turn.js';
import { ConversationProblems } from './conversations.errors.js';
import { MESSAGE_MAX_LENGTH, toMessageDto } from './dto/conversation.dto.js';
import type { MessageView } from './message.view.js';
import { RepliesRepository } from './replies.repository.js';
import { ReplyStreamHub, type LiveReply, type ReplyEvent } from './reply-stream-hub.js';
import { TurnsRepository, type ReplyEnding, type TurnTarget } from './turns.repository.js';

const TITLE_LENGTH = 60;
/**
 * With the database to itself, a process knows its own live replies: one `streaming` for this
 * long without generating here was orphaned (its store committed, but the answer was lost).
 */
const ORPHANED_AFTER_SECONDS = 30;

/** What a send (or regenerate) produced: the user message, the reply's id, and its live stream when generating here. */
export interface ReplyHandle {
  readonly userMessage: MessageView;
  readonly replyId: string;
  readonly live: LiveReply | undefined;
  /** What is left of the caller's quota after this reply's reservation (absent on a retried send). */
  readonly quota?: QuotaSnapshot;
}

/**
 * Sends messages and generates replies in conversations. Generation is detached from the
 * request: the reply is persisted whatever happens to the client, its events can be replayed
 * from the hub, and a cancel aborts the provider call.
 */
@Injectable()
export class RepliesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Replies');

  constructor(
    private readonly dataSource: DataSource,
    private readonly hub: ReplyStreamHub,
    private readonly turns: ChatTurns,
    private readonly quota: QuotaService,
    private readonly replies: RepliesRepository,
    private readonly turnStatements: TurnsRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Replies left `streaming` by a process that died end as `failed` (`interrupted`), keeping
   * their saved text and billing it, before any request is served. A process that has the
   * database to itself (the embedded one) knows that every such reply is a dead process's,
   * and what is still reserved too. Processes sharing PostgreSQL cannot tell another's live
   * reply from a dead one's yet: there, a reply older than its reservation's lifetime
   * (QUOTA_RESERVATION_TTL_SECONDS) is taken for cut off, at start and at every quota sweep,
   * which recovers it (billing it exactly) before it would release its reservation unbilled.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.database.exclusive) {
      await this.recoverInterrupted();
      await this.quota.releaseAll();
      // Later, a streaming reply not generating here was orphaned by a store whose answer was lost.
      this.quota.addSweepStep(() => this.recoverInterrupted(`${ORPHANED_AFTER_SECONDS} seconds`));
      return;
    }
    const orphanedAfter = `${this.config.usage.reservationTtlSeconds} seconds`;
    await this.recoverInterrupted(orphanedAfter);
    await this.quota.releaseExpired();
    this.quota.addSweepStep(() => this.recoverInterrupted(orphanedAfter));
  }

  /** On shutdown, replies in progress get the shutdown timeout to finish, then are cancelled and saved. */
  async beforeApplicationShutdown(): Promise<void> {
    const active = this.hub.active();
    if (active.length === 0) return;
    const finished = Promise.all(active.map((reply) => reply.finished));
    await Promise.race([finished, sleep(this.config.http.shutdownTimeoutMs)]);
    for (const reply of this.hub.active()) reply.abort.abort();
    await finished;
  }

  /** Stores the user's message and starts the reply; a retry with the same clientMessageId returns the first attempt's. */
  async send(userId: string, conversationId: string, content: string, clientMessageId: string): Promise<ReplyHandle> {
    // The API's DTO says the same; this holds for every caller (the OpenAI-compatible surface too).
    if (content.length === 0 || content.length > MESSAGE_MAX_LENGTH) {
      throw new ProblemException(CoreProblems.validationFailed, `A message is 1 to ${MESSAGE_MAX_LENGTH} characters long.`, {
        errors: [{ field: 'content', message: `must be 1 to ${MESSAGE_MAX_LENGTH} characters long` }],
      });
    }
    const target = await this.target(userId, conversationId);
    const plan = this.turns.plan(target.systemPrompt, [...target.history, { role: 'user', content }], target.modelPolicy);
    const reservation = await this.quota.chatReservation(callerOf(target), plan.estimate);
    const abort = new AbortController();
    const { stored, generation } = await this.reserved(reservation, () =>
      this.turns.open(plan, abort, () =>
        this.turnStatements.storeSend(conversationId, { content, clientMessageId }, placeholderOf(target, plan), (gate, parameters) =>
          this.quota.reservationPart(reservation, gate, parameters),
        ),
      ),
    );
    if (!stored.stored) {
      this.turns.discard(abort, generation);
      return { userMessage: stored.userMessage, replyId: stored.replyId, live: this.hub.get(stored.replyId) };
    }
    const live = this.start(target, plan, stored.userMessage, stored.replyId, abort, generation);
    return { userMessage: stored.userMessage, replyId: stored.replyId, live, quota: this.quota.snapshotOf(reservation, stored.held) };
  }

  /** A new reply to the same user message; the earlier reply stays in history, and only the newest feeds later contexts. */
  async regenerate(userId: string, conversationId: string, replyId: string): Promise<ReplyHandle> {
    const target = await this.target(userId, conversationId, replyId);
    if (!target.previous) throw new ProblemException(CoreProblems.notFound, 'No such reply.');
    const { userMessage } = target.previous;
    if (target.previous.status === 'streaming') throw replyInProgress();
    const plan = this.turns.plan(target.systemPrompt, target.history, target.modelPolicy);
    const reservation = await this.quota.chatReservation(callerOf(target), plan.estimate);
    const abort = new AbortController();
    const { stored, generation } = await this.reserved(reservation, () =>
      this.turns.open(plan, abort, async () => {
        const reply = await this.turnStatements.storeRegenerate(conversationId, userMessage.id, placeholderOf(target, plan), (gate, parameters) =>
          this.quota.reservationPart(reservation, gate, parameters),
        );
        // Another regenerate of the same message got there first.
        if (!reply) throw replyInProgress();
        return reply;
      }),
    );
    const live = this.start(target, plan, userMessage, stored.replyId, abort, generation);
    return { userMessage, replyId: stored.replyId, live, quota: this.quota.snapshotOf(reservation, stored.held) };
  }

  /** Stops a reply being generated: the provider connection is closed and the partial text saved as `cancelled`. */
  async cancel(userId: string, conversationId: string, replyId: string): Promise<MessageView> {
    const { reply } = await this.ownedReply(userId, conversationId, replyId);
    const live = this.hub.get(replyId);
    if (!live || live.done) return live?.saved ?? reply;
    live.abort.abort();
    await live.finished;
    return live.saved ?? (await this.reply(replyId));
  }

  /**
   * The reply's events after `afterId` up to its final one: replayed and followed while it lives
   * in this process, or (once finished and out of memory) its final events rebuilt from the
   * database. A client that saw more events than the rebuilt ones still gets the final event,
   * numbered after its last. Checked before the first event is read: 404, or 409 while another
   * process generates it.
   */
  async events(userId: string, conversationId: string, replyId: string, afterId: number): Promise<(stop?: AbortSignal) => AsyncIterable<ReplyEvent>> {
    const live = this.hub.get(replyId);
    const { reply, userMessage } = await this.ownedReply(userId, conversationId, replyId);
    // A client that saw every event of a finished reply is answered from the database below, like one of a reply out of memory.
    if (live && !(live.done && afterId >= live.events.length)) return (stop) => live.read(afterId, stop);
    if (reply.status === 'streaming') {
      throw new ProblemException(ConversationProblems.replyInProgress, 'This reply is being generated by another server process.');
    }
    const rebuilt = finalEvents(userMessage, reply);
    const unseen = rebuilt.filter((event) => event.id > afterId);
    const final = rebuilt.at(-1)!;
    const events = unseen.length > 0 ? unseen : [{ ...final, id: afterId + 1 }];
    return async function* () {
      yield* events;
    };
  }

  /** The events of a reply the user's send or regenerate started, from its first. */
  async startedEvents(userId: string, handle: ReplyHandle): Promise<(stop?: AbortSignal) => AsyncIterable<ReplyEvent>> {
    const live = handle.live;
    if (live) return (stop) => live.read(0, stop);
    return this.events(userId, handle.userMessage.conversationId, handle.replyId, 0);
  }

  /** The reply as saved once it ended (a reply being generated elsewhere is returned as it is now). */
  async finishedReply(handle: ReplyHandle): Promise<MessageView> {
    await handle.live?.finished;
    return handle.live?.saved ?? (await this.reply(handle.replyId));
  }

  /**
   * Ends the replies a dead process left `streaming` (all of them, or those started more than
   * `olderThan` ago) as `failed` with `error_code = 'interrupted'`, keeping their checkpointed
   * text. Each is settled in the same transaction, by the rule for a provider that reported
   * nothing: the prompt's tokens if any text was generated, the saved text's tokens, a message
   * only if there is text; the rest of its reservation is released.
   */
  async recoverInterrupted(olderThan?: string): Promise<number> {
    let recovered = 0;
    for (const id of await this.replies.streamingSince(olderThan)) {
      // Generating in this process: not cut off.
      if (this.hub.get(id)?.done === false) continue;
      try {
        if (await this.recoverReply(id)) recovered++;
      } catch (error) {
        this.logger.error(`Interrupted reply ${id} could not be recovered: ${(error as Error).message}`);
      }
    }
    if (recovered > 0) this.logger.warn(`Recovered ${recovered} reply(ies) interrupted by a process that stopped`);
    return recovered;
  }

  private async recoverReply(replyId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // Locked and re-checked: a reply that just ended, or that another process is recovering, is left alone.
      const reply = await this.replies.lockStreaming(replyId, manager);
      if (!reply) return false;
      const outcome: TurnOutcome = {
        text: reply.content,
        status: 'failed',
        finishReason: 'error',
        errorCode: 'interrupted',
        servedBy: { provider: reply.provider ?? '', model: reply.model ?? '' },
        // The prompt is not stored: its tokens as estimated when the reply started.
        billed: this.turns.unreportedUsage(reply.content, reply.input_tokens ?? 0),
        firstTokenMs: reply.first_token_ms,
      };
      const charge = this.turns.charge(outcome, replyId, reply.user_id, { messageId: replyId, conversationId: reply.conversation_id });
      await this.turnStatements.settle(replyId, endingOf(outcome, reply), undefined, (gate, parameters) => this.quota.settlementPart(charge, gate, parameters), manager);
      return true;
    });
  }

  /** The user's conversation as a turn needs it: 404 when not theirs, 409/403 when its persona cannot answer them now. */
  private async target(userId: string, conversationId: string, regeneratedReplyId?: string): Promise<TurnTarget> {
    const target = await this.turnStatements.target(userId, conversationId, regeneratedReplyId);
    if (!target) throw new ProblemException(CoreProblems.notFound, 'No such conversation.');
    if (!target.acceptingMessages) throw new ProblemException(ConversationProblems.personaUnavailable, 'This persona is not taking new messages.');
    // The plan as it is now, not as the access token remembers it.
    await this.quota.assertPersonaAllowed(callerOf(target), target.premiumOnly);
    return target;
  }

  /** Runs a turn's store; a quota refusal becomes the 429 that names the limit. */
  private async reserved<T>(reservation: ChatReservation, store: () => Promise<T>): Promise<T> {
    try {
      return await store();
    } catch (error) {
      // The conversation was deleted since its target was read.
      if (isForeignKeyViolation(error)) throw new ProblemException(CoreProblems.notFound, 'No such conversation.');
      throw (await this.quota.refusal(error, reservation)) ?? error;
    }
  }

  private start(target: TurnTarget, plan: TurnPlan, userMessage: MessageView, replyId: string, abort: AbortController, generation: Parameters<ChatTurns['run']>[2]): LiveReply {
    const live = this.hub.open(replyId, abort);
    const { primary } = plan.policy;
    live.publish('message', { message: toMessageDto(userMessage), replyId });
    live.publish('reply.started', { messageId: replyId, provider: primary.provider, model: primary.model, promptVersion: target.promptVersion });
    void this.turns.run(live, plan, generation, {
      messageId: replyId,
      settle: (outcome) => this.settle(live, target, userMessage, replyId, outcome),
    });
    return live;
  }

  /**
   * Saves and bills the reply in one statement, retried through a short outage (the user saw
   * this reply). Safe to repeat: a statement whose answer was lost left the reply no longer
   * streaming, which the next attempt neither saves nor bills again.
   */
  private async settle(live: LiveReply, target: TurnTarget, userMessage: MessageView, replyId: string, outcome: TurnOutcome): Promise<Array<Pick<ReplyEvent, 'type' | 'data'>>> {
    const charge = this.turns.charge(outcome, replyId, target.userId, { messageId: replyId, conversationId: target.conversationId });
    // The first exchange names the conversation after the user's opening words.
    const title = target.title ? undefined : { conversationId: target.conversationId, title: titleOf(userMessage.content) };
    const result = await retryWhileUnavailable(
      () => this.turnStatements.settle(replyId, endingOf(outcome), title, (gate, parameters) => this.quota.settlementPart(charge, gate, parameters)),
      (error, delayMs) => this.logger.warn(`Reply ${replyId}: the database is unavailable, saving again in ${delayMs} ms (${(error as Error).message})`),
    );
    if ('saved' in result) {
      live.saved = result.saved;
      return finalEvents(userMessage, result.saved).slice(2);
    }
    if (result.ended === 'deleted') {
      return [{ type: 'error', data: replyProblem(replyId, 'conversation_deleted', 'The conversation was deleted while this reply was being generated.', outcome.text.length) }];
    }
    // Another process took this reply for a dead one's and recovered it, or an attempt whose answer was lost saved it: that end stands.
    this.logger.warn(`Reply ${replyId} was no longer streaming when it ended: saved by an attempt whose answer was lost, or recovered by another process`);
    live.saved = await this.reply(replyId);
    return finalEvents(userMessage, live.saved).slice(2);
  }

  private async ownedReply(userId: string, conversationId: string, replyId: string): Promise<{ reply: MessageView; userMessage: MessageView }> {
    const found = await this.replies.findOwned(userId, conversationId, replyId);
    if (!found) throw new ProblemException(CoreProblems.notFound, 'No such reply.');
    return found;
  }

  private async reply(replyId: string): Promise<MessageView> {
    const reply = await this.replies.find(replyId);
    if (!reply) throw new ProblemException(CoreProblems.notFound, 'No such reply.');
    return reply;
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } } | undefined)?.driverError?.code === '23503';
}

function callerOf(target: TurnTarget): Caller {
  return { userId: target.userId, plan: target.plan, role: target.role, overrides: target.quotaOverrides };
}

function placeholderOf(target: TurnTarget, plan: TurnPlan) {
  return { ...plan.policy.primary, promptVersion: target.promptVersion, inputTokens: plan.promptTokens };
}

/** How an outcome is saved; a recovered reply keeps what it was saved with. */
function endingOf(outcome: TurnOutcome, kept?: { provider: string | null; model: string | null }): ReplyEnding {
  return {
    content: outcome.text,
    status: outcome.status,
    provider: kept ? kept.provider : outcome.servedBy.provider,
    model: kept ? kept.model : outcome.servedBy.model,
    inputTokens: outcome.billed.inputTokens,
    outputTokens: outcome.billed.outputTokens,
    cachedInputTokens: outcome.billed.cachedInputTokens ?? null,
    reasoningTokens: outcome.billed.reasoningTokens ?? null,
    firstTokenMs: outcome.firstTokenMs,
    finishReason: outcome.finishReason,
    errorCode: outcome.errorCode,
  };
}

function titleOf(firstMessage: string): string {
  const words = firstMessage.replace(/\s+/g, ' ').trim();
  return words.length <= TITLE_LENGTH ? words : `${words.slice(0, TITLE_LENGTH).replace(/\s+\S*$/, '')}…`;
}

function replyInProgress(): ProblemException {
  return new ProblemException(ConversationProblems.replyInProgress, 'This reply is still being generated: cancel it or wait.');
}

/** The events a finished reply ends with: message, reply.started, then reply.completed (or error when failed). */
function finalEvents(userMessage: MessageView, reply: MessageView): ReplyEvent[] {
  const events: Array<Omit<ReplyEvent, 'id'>> = [
    { type: 'message', data: { message: toMessageDto(userMessage), replyId: reply.id } },
    { type: 'reply.started', data: { messageId: reply.id, provider: reply.provider, model: reply.model, promptVersion: reply.promptVersion } },
  ];
  if (reply.status === 'failed') {
    events.push({ type: 'error', data: replyProblem(reply.id, reply.errorCode ?? 'generation_failed', 'The reply could not be generated.', reply.content.length) });
  } else {
    const dto = toMessageDto(reply);
    events.push({
      type: 'reply.completed',
      data: {
        messageId: reply.id,
        status: reply.status,
        content: reply.content,
        length: reply.content.length,
        usage: dto.usage,
        finishReason: reply.finishReason,
        servedBy: { provider: reply.provider, model: reply.model },
        firstTokenMs: reply.firstTokenMs,
      },
    });
  }
  return events.map((event, index) => ({ ...event, id: index + 1 }));
}
