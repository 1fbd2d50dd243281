import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CoreProblems, InjectConfig, PROBLEM_TYPE_BASE, ProblemException, queryReturning, retryWhileUnavailable, type AppConfig } from '#chorus/core';
import type { ModelPolicyRecord } from '#chorus/influencers';
import { GenerationError, ProviderRegistry, type ChatMessage, type ChatUsage, type ModelRef } from '#chorus/providers';
import { QuotaService, type Caller, type ChatCharge, type ChatEstimate, type QuotaSnapshot } from '#chorus/usage';
import { ContextBuilder } from './context-builder.js';
import { MessageEntity, type MessageStatus } from './conversation.entity.js';
import { ConversationProblems } from './conversations.errors.js';
import { toMessageView, type MessageView } from './conversations.service.js';
import { toMessageDto } from './dto/conversation.dto.js';
import { ReplyMetrics } from './reply-metrics.js';
import { RepliesRepository } from './replies.repository.js';
import { ReplyStreamHub, type LiveReply, type ReplyEvent } from './reply-stream-hub.js';

/** The messages a context is built from: this many at most, newest first. */
const CONTEXT_CANDIDATES = 200;
/**
 * A streaming reply's text is saved at most this often, so that a crash loses at most this
 * much of what the user saw, at the price of one small UPDATE per reply and interval.
 */
const CHECKPOINT_INTERVAL_MS = 1_000;
const TITLE_LENGTH = 60;

interface ConversationTarget {
  conversation_id: string;
  title: string | null;
  system_prompt: string;
  prompt_version: number;
  model_policy: ModelPolicyRecord;
  premium_only: boolean;
  status: string;
  deleted_at: Date | null;
  user_id: string;
  plan: string;
  role: 'user' | 'admin';
  quota_overrides: Record<string, unknown> | null;
}

/** What the model is sent, and what it is expected to cost. */
interface PreparedContext {
  readonly messages: ChatMessage[];
  readonly promptTokens: number;
  readonly estimate: ChatEstimate;
}

/** What a send (or regenerate) produced: the user message, the reply's id, and its live stream when generating here. */
export interface ReplyHandle {
  readonly userMessage: MessageView;
  readonly replyId: string;
  readonly live: LiveReply | undefined;
  /** What is left of the caller's quota after this reply's reservation (absent on a retried send). */
  readonly quota?: QuotaSnapshot;
}

/**
 * Sends messages and generates replies. Generation is detached from the request: the reply is
 * persisted whatever happens to the client, its events can be replayed from the hub, and a
 * cancel aborts the provider call.
 */
@Injectable()
export class RepliesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Replies');

  constructor(
    private readonly dataSource: DataSource,
    private readonly hub: ReplyStreamHub,
    private readonly contexts: ContextBuilder,
    private readonly providers: ProviderRegistry,
    private readonly quota: QuotaService,
    private readonly metrics: ReplyMetrics,
    private readonly replies: RepliesRepository,
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
    const target = await this.target(userId, conversationId);
    const history = await this.history(conversationId, null);
    const context = this.prepareContext(target, [...history, { role: 'user', content }]);
    const created = await this.dataSource.transaction(async (manager) => {
      const [inserted]: Array<Record<string, unknown>> = await manager.query(
        `INSERT INTO messages (conversation_id, role, content, status, client_message_id, completed_at)
         VALUES ($1, 'user', $2, 'completed', $3, now())
         ON CONFLICT (conversation_id, client_message_id) DO NOTHING
         RETURNING *`,
        [conversationId, content, clientMessageId],
      );
      if (!inserted) return undefined;
      const userMessage = messageFromRow(inserted);
      const reply = await this.insertPlaceholder(manager, target, userMessage.id, context.promptTokens);
      // Over quota: this throws, the transaction rolls back, and neither message is stored.
      const quota = await this.quota.reserveChat(manager, callerOf(target), reply.id, context.estimate);
      return { userMessage, reply, quota };
    });
    if (!created) return this.existing(conversationId, clientMessageId);
    return this.start(target, created.userMessage, created.reply, context, created.quota);
  }

  /** A new reply to the same user message; the earlier reply stays in history, and only the newest feeds later contexts. */
  async regenerate(userId: string, conversationId: string, replyId: string): Promise<ReplyHandle> {
    const target = await this.target(userId, conversationId);
    const previous = await this.ownedReply(userId, conversationId, replyId);
    if (previous.status === 'streaming') {
      throw new ProblemException(ConversationProblems.replyInProgress, 'This reply is still being generated: cancel it or wait.');
    }
    const userMessage = toMessageView(await this.dataSource.getRepository(MessageEntity).findOneByOrFail({ id: previous.replyToId! }));
    const context = this.prepareContext(target, await this.history(conversationId, userMessage.position));
    const { reply, quota } = await this.dataSource.transaction(async (manager) => {
      const placeholder = await this.insertPlaceholder(manager, target, userMessage.id, context.promptTokens);
      return { reply: placeholder, quota: await this.quota.reserveChat(manager, callerOf(target), placeholder.id, context.estimate) };
    });
    return this.start(target, userMessage, reply, context, quota);
  }

  /** Stops a reply being generated: the provider connection is closed and the partial text saved as `cancelled`. */
  async cancel(userId: string, conversationId: string, replyId: string): Promise<MessageView> {
    await this.ownedReply(userId, conversationId, replyId);
    const live = this.hub.get(replyId);
    if (live && !live.done) {
      live.abort.abort();
      await live.finished;
    }
    return toMessageView(await this.dataSource.getRepository(MessageEntity).findOneByOrFail({ id: replyId }));
  }

  /** The reply's live stream, or (once it is finished and out of memory) its final events rebuilt from the database. */
  async stream(userId: string, conversationId: string, replyId: string): Promise<LiveReply | ReplyEvent[]> {
    const reply = await this.ownedReply(userId, conversationId, replyId);
    const live = this.hub.get(replyId);
    if (live) return live;
    if (reply.status === 'streaming') {
      throw new ProblemException(ConversationProblems.replyInProgress, 'This reply is being generated by another server process.');
    }
    const userMessage = await this.dataSource.getRepository(MessageEntity).findOneByOrFail({ id: reply.replyToId! });
    return finalEvents(toMessageView(userMessage), reply);
  }

  async getReply(replyId: string): Promise<MessageView> {
    return toMessageView(await this.dataSource.getRepository(MessageEntity).findOneByOrFail({ id: replyId }));
  }

  private async target(userId: string, conversationId: string): Promise<ConversationTarget> {
    const [target]: ConversationTarget[] = await this.dataSource.query(
      `SELECT c.id AS conversation_id, c.title, i.system_prompt, i.prompt_version, i.model_policy, i.premium_only, i.status, i.deleted_at,
              u.id AS user_id, u.plan, u.role, q.limits AS quota_overrides
         FROM conversations c JOIN influencers i ON i.id = c.influencer_id JOIN users u ON u.id = c.user_id
         LEFT JOIN quota_overrides q ON q.user_id = u.id
        WHERE c.id = $1 AND c.user_id = $2`,
      [conversationId, userId],
    );
    if (!target) throw new ProblemException(CoreProblems.notFound, 'No such conversation.');
    if (target.status !== 'active' || target.deleted_at) {
      throw new ProblemException(ConversationProblems.personaUnavailable, 'This persona is not taking new messages.');
    }
    // The plan as it is now, not as the access token remembers it.
    await this.quota.assertPersonaAllowed(callerOf(target), target.premium_only);
    return target;
  }

  private async ownedReply(userId: string, conversationId: string, replyId: string): Promise<MessageView> {
    const [row]: Array<{ id: string }> = await this.dataSource.query(
      `SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id = $1 AND m.conversation_id = $2 AND c.user_id = $3 AND m.role = 'assistant' AND m.reply_to_id IS NOT NULL`,
      [replyId, conversationId, userId],
    );
    if (!row) throw new ProblemException(CoreProblems.notFound, 'No such reply.');
    return toMessageView(await this.dataSource.getRepository(MessageEntity).findOneByOrFail({ id: row.id }));
  }

  /**
   * The reply's row while it streams. It carries the prompt's token count in `input_tokens` (its
   * usage stays null until `output_tokens` is set): what a recovery bills if a crash cuts it off.
   */
  private async insertPlaceholder(manager: EntityManager, target: ConversationTarget, replyToId: string, promptTokens: number): Promise<MessageEntity> {
    const primary = target.model_policy.primary;
    const reply = await manager.getRepository(MessageEntity).save({
      conversationId: target.conversation_id,
      role: 'assistant',
      content: '',
      status: 'streaming',
      replyToId,
      provider: primary.provider,
      model: primary.model,
      promptVersion: target.prompt_version,
      inputTokens: promptTokens,
    });
    await manager.query('UPDATE conversations SET last_message_at = now() WHERE id = $1', [target.conversation_id]);
    return reply;
  }

  /** A retried send: the first attempt's messages, live if its reply is still generating here. */
  private async existing(conversationId: string, clientMessageId: string): Promise<ReplyHandle> {
    const messages = this.dataSource.getRepository(MessageEntity);
    const userMessage = await messages.findOneByOrFail({ conversationId, clientMessageId });
    const reply = await messages.findOneOrFail({ where: { replyToId: userMessage.id }, order: { position: 'DESC' } });
    return { userMessage: toMessageView(userMessage), replyId: reply.id, live: this.hub.get(reply.id) };
  }

  private async start(
    target: ConversationTarget,
    userMessage: MessageView,
    reply: MessageEntity,
    context: PreparedContext,
    quota: QuotaSnapshot,
  ): Promise<ReplyHandle> {
    const policy = target.model_policy;
    const live = this.hub.open(reply.id);
    live.publish('message', { message: toMessageDto(userMessage), replyId: reply.id });
    live.publish('reply.started', { messageId: reply.id, provider: policy.primary.provider, model: policy.primary.model, promptVersion: target.prompt_version });
    void this.generate(live, target, userMessage, reply.id, context);
    return { userMessage, replyId: reply.id, live, quota };
  }

  /**
   * The conversation so far, oldest first (up to and including `upToPosition` when given).
   * Replies that were regenerated give way to their newest version.
   */
  private async history(conversationId: string, upToPosition: number | null): Promise<ChatMessage[]> {
    const rows: Array<{ role: 'user' | 'assistant'; content: string }> = await this.dataSource.query(
      `SELECT m.role, m.content FROM messages m
        WHERE m.conversation_id = $1 AND ($2::bigint IS NULL OR m.position <= $2::bigint)
          AND m.status IN ('completed', 'cancelled') AND m.content <> ''
          AND NOT EXISTS (SELECT 1 FROM messages newer
                           WHERE m.role = 'assistant' AND newer.reply_to_id = m.reply_to_id AND newer.position > m.position)
        ORDER BY m.position DESC LIMIT $3`,
      [conversationId, upToPosition, CONTEXT_CANDIDATES],
    );
    return rows.reverse();
  }

  /** What fits the primary model's window, and the estimate reserved for it: prompt plus the whole reply budget. */
  private prepareContext(target: ConversationTarget, history: ChatMessage[]): PreparedContext {
    const policy = target.model_policy;
    const model = this.providers.model(policy.primary);
    const replyBudget = Math.min(policy.maxReplyTokens ?? model?.maxOutputTokens ?? 1024, model?.maxOutputTokens ?? 1024);
    const messages = this.contexts.build(target.system_prompt, history, model?.contextWindow ?? 8192, replyBudget);
    const promptTokens = messages.reduce((sum, message) => sum + this.contexts.count(message.content), 0);
    const costMicros = this.quota.costOf({ ...policy.primary, inputTokens: promptTokens, outputTokens: replyBudget });
    return { messages, promptTokens, estimate: { tokens: promptTokens + replyBudget, costMicros } };
  }

  private async generate(
    live: LiveReply,
    target: ConversationTarget,
    userMessage: MessageView,
    replyId: string,
    context: PreparedContext,
  ): Promise<void> {
    const policy = target.model_policy;
    const startedAt = performance.now();
    let text = '';
    let firstTokenMs: number | null = null;
    let servedBy: ModelRef = policy.primary;
    let usage: ChatUsage | null = null;
    let finishReason: string = 'stop';
    let status: MessageStatus = 'completed';
    let errorCode: string | null = null;
    // What the user has seen is saved now and then, off the stream's path, so that a crash keeps it.
    const checkpoints = new ReplyCheckpoints(
      () => text,
      (partial) => this.replies.saveCheckpoint(replyId, { text: partial, ...servedBy, firstTokenMs }),
      (error) => this.logger.warn(`Reply ${replyId}: its partial text could not be saved: ${error.message}`),
    );
    this.metrics.started();
    try {
      for await (const event of this.providers.generate(policy, context.messages, live.abort.signal)) {
        if (event.type === 'delta') {
          firstTokenMs ??= Math.round(performance.now() - startedAt);
          text += event.text;
          live.publish('reply.delta', { messageId: replyId, text: event.text });
          checkpoints.changed();
        } else {
          servedBy = event.servedBy;
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
        servedBy = error.servedBy ?? servedBy;
      }
      this.logger.warn(`Reply ${replyId} failed (${errorCode}): ${(error as Error).message}`);
    }

    // Billed as the provider reported; when it reported nothing, the tokens of what was streamed.
    const billed = usage ?? unreportedUsage(text, context.promptTokens, this.contexts);
    this.metrics.finished({ servedBy, status, firstTokenMs, startedAt, billed });
    try {
      // No checkpoint runs after this: the one in flight, if any, lands first (and would not touch a finished reply anyway).
      await checkpoints.close();
      const charge: ChatCharge = {
        reservationId: replyId,
        messageId: replyId,
        conversationId: target.conversation_id,
        userId: target.user_id,
        countsAsMessage: status !== 'failed' || text.length > 0,
        inputTokens: billed.inputTokens,
        outputTokens: billed.outputTokens,
        cachedInputTokens: billed.cachedInputTokens ?? 0,
        reasoningTokens: billed.reasoningTokens ?? 0,
        provider: servedBy.provider,
        model: servedBy.model,
      };
      // Retried through a short outage: the user saw this reply, so it is saved and billed once the database answers.
      // Safe to repeat: a commit whose answer was lost left the reply no longer streaming, which the UPDATE skips.
      const outcome = await retryWhileUnavailable(() => this.dataSource.transaction(async (manager): Promise<{ saved: MessageView } | { ended: 'elsewhere' | 'deleted' }> => {
        const [saved] = await queryReturning<Record<string, unknown>>(
          manager,
          `UPDATE messages SET content = $2, status = $3, provider = $4, model = $5, input_tokens = $6, output_tokens = $7,
                  cached_input_tokens = $8, reasoning_tokens = $9, first_token_ms = $10, finish_reason = $11, error_code = $12,
                  completed_at = now()
            WHERE id = $1 AND status = 'streaming'
            RETURNING *`,
          [replyId, text, status, servedBy.provider, servedBy.model, billed.inputTokens, billed.outputTokens,
            billed.cachedInputTokens ?? null, billed.reasoningTokens ?? null, firstTokenMs, finishReason, errorCode],
        );
        if (saved) {
          await this.quota.settleChat(manager, charge);
          return { saved: messageFromRow(saved) };
        }
        // Another process took this reply for a dead one's and recovered it (billed and ended): that end stands.
        if (await this.replies.exists(replyId, manager)) return { ended: 'elsewhere' };
        // Its conversation was deleted while it streamed: nothing is left to save, but what was generated is billed.
        await this.quota.settleChat(manager, charge);
        return { ended: 'deleted' };
      }), (error, delayMs) => this.logger.warn(`Reply ${replyId}: the database is unavailable, saving again in ${delayMs} ms (${(error as Error).message})`));
      if ('saved' in outcome || outcome.ended === 'elsewhere') {
        if (!('saved' in outcome)) this.logger.warn(`Reply ${replyId} was no longer streaming when it ended: saved by an attempt whose answer was lost, or recovered by another process`);
        const reply = 'saved' in outcome ? outcome.saved : await this.getReply(replyId);
        if (!target.title) await this.nameConversation(target.conversation_id, userMessage.content);
        for (const event of finalEvents(userMessage, reply).slice(2)) live.publish(event.type, event.data);
      } else {
        live.publish('error', replyProblem(replyId, 'conversation_deleted', 'The conversation was deleted while this reply was being generated.', text.length));
      }
    } catch (error) {
      this.logger.error(`Reply ${replyId} could not be saved: ${(error as Error).message}`);
      live.publish('error', replyProblem(replyId, 'reply_not_saved', 'The reply could not be saved.', text.length));
    } finally {
      live.end();
    }
  }

  /**
   * Ends the replies a dead process left `streaming` (all of them, or those started more than
   * `olderThan` ago) as `failed` with `error_code = 'interrupted'`, keeping their checkpointed
   * text. Each is settled in the same transaction, by generate()'s rule for a provider that
   * reported nothing: the prompt's tokens if any text was generated, the saved text's tokens,
   * a message only if there is text; the rest of its reservation is released.
   */
  async recoverInterrupted(olderThan?: string): Promise<number> {
    let recovered = 0;
    for (const id of await this.replies.streamingSince(olderThan)) {
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
      const billed = unreportedUsage(reply.content, reply.input_tokens ?? 0, this.contexts);
      await this.replies.markInterrupted(replyId, billed, manager);
      await this.quota.settleChat(manager, {
        reservationId: replyId,
        messageId: replyId,
        conversationId: reply.conversation_id,
        userId: reply.user_id,
        countsAsMessage: reply.content.length > 0,
        inputTokens: billed.inputTokens,
        outputTokens: billed.outputTokens,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        provider: reply.provider,
        model: reply.model,
      });
      return true;
    });
  }

  /** The first exchange names the conversation after the user's opening words (never delaying the reply). */
  private async nameConversation(conversationId: string, firstMessage: string): Promise<void> {
    const words = firstMessage.replace(/\s+/g, ' ').trim();
    const title = words.length <= TITLE_LENGTH ? words : `${words.slice(0, TITLE_LENGTH).replace(/\s+\S*$/, '')}…`;
    await this.dataSource.query('UPDATE conversations SET title = $2 WHERE id = $1 AND title IS NULL', [conversationId, title]);
  }
}

/** A raw `messages` row (from RETURNING *) as the view the rest of the code uses. */
function messageFromRow(row: Record<string, unknown>): MessageView {
  return toMessageView(
    Object.assign(new MessageEntity(), {
      id: row['id'],
      position: String(row['position']),
      conversationId: row['conversation_id'],
      role: row['role'],
      content: row['content'],
      status: row['status'],
      clientMessageId: row['client_message_id'],
      replyToId: row['reply_to_id'],
      provider: row['provider'],
      model: row['model'],
      promptVersion: row['prompt_version'],
      inputTokens: row['input_tokens'],
      outputTokens: row['output_tokens'],
      cachedInputTokens: row['cached_input_tokens'],
      reasoningTokens: row['reasoning_tokens'],
      firstTokenMs: row['first_token_ms'],
      finishReason: row['finish_reason'],
      errorCode: row['error_code'],
      createdAt: row['created_at'],
      completedAt: row['completed_at'],
    }),
  );
}

function callerOf(target: ConversationTarget): Caller {
  return { userId: target.user_id, plan: target.plan, role: target.role, overrides: target.quota_overrides };
}

/** What a reply is billed when the provider reported no usage: the prompt's tokens if any text came, and the text's tokens. */
function unreportedUsage(text: string, promptTokens: number, contexts: ContextBuilder): ChatUsage {
  return { inputTokens: text.length > 0 ? promptTokens : 0, outputTokens: contexts.countText(text) };
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

function replyProblem(messageId: string, code: string, detail: string, partialLength: number): Record<string, unknown> {
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

/**
 * Saves a streaming reply's text at a bounded rate, never on the stream's path: at most once
 * per CHECKPOINT_INTERVAL_MS, only when the text changed, one write in flight at a time (a
 * write that fails is logged and retried with the next change). A timer, rather than the next
 * delta, takes the checkpoint, so text followed by a long pause is saved too.
 */
class ReplyCheckpoints {
  private lastAt = performance.now();
  private savedLength = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(
    /** The text so far: it only grows, so its length tells whether it changed. */
    private readonly text: () => string,
    private readonly write: (text: string) => Promise<unknown>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** The text grew: a checkpoint is due by the end of the interval. */
  changed(): void {
    // A write in flight re-arms when it lands.
    if (this.closed || this.timer || this.inFlight) return;
    this.timer = setTimeout(() => this.take(), Math.max(0, this.lastAt + CHECKPOINT_INTERVAL_MS - performance.now()));
    this.timer.unref();
  }

  /** Stops checkpointing; resolves once the write in flight, if any, has landed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private take(): void {
    this.timer = undefined;
    const text = this.text();
    if (this.closed || text.length === this.savedLength) return;
    this.lastAt = performance.now();
    this.inFlight = this.write(text).then(
      () => {
        this.savedLength = text.length;
      },
      (error: Error) => this.onError(error),
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      if (this.text().length !== this.savedLength) this.changed();
    });
  }
}
